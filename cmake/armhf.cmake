# The older Raspberry Pis, 32-bit (Debian armhf): see cross.cmake.
set(CMAKE_SYSTEM_PROCESSOR arm)
set(GW_CROSS_TRIPLET arm-linux-gnueabihf)
include(${CMAKE_CURRENT_LIST_DIR}/cross.cmake)
