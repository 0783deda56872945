# Cross build for the Raspberry Pi (64-bit Raspberry Pi OS / Debian arm64) with Debian's
# cross toolchain (crossbuild-essential-arm64) and the arm64 -dev packages (multiarch, in
# /usr/lib/aarch64-linux-gnu). Tests run under qemu-user: qemu-aarch64-static finds the arm64
# dynamic loader and libraries at their multiarch paths.
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/arm64.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(GW_CROSS_TRIPLET aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${GW_CROSS_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${GW_CROSS_TRIPLET})

# Only arm64 libraries: pkg-config reads the arm64 .pc files, find_library skips the host's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${GW_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu)

find_program(GW_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(GW_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${GW_QEMU_AARCH64})
endif()
