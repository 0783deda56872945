# The Raspberry Pi, 64-bit (Debian arm64): see cross.cmake.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(GW_CROSS_TRIPLET aarch64-linux-gnu)
include(${CMAKE_CURRENT_LIST_DIR}/cross.cmake)
