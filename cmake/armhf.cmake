# Cross build for the older Raspberry Pis (32-bit Raspberry Pi OS / Debian armhf) with
# Debian's cross toolchain (crossbuild-essential-armhf) and the armhf -dev packages
# (multiarch, in /usr/lib/arm-linux-gnueabihf). Tests run under qemu-user (qemu-arm-static).
# 64-bit time_t and off_t come from the top CMakeLists.txt (every 32-bit build).
#   cmake -S . -B build-armhf -DCMAKE_TOOLCHAIN_FILE=cmake/armhf.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(GW_CROSS_TRIPLET arm-linux-gnueabihf)
set(CMAKE_C_COMPILER ${GW_CROSS_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${GW_CROSS_TRIPLET})

# Only armhf libraries: pkg-config reads the armhf .pc files, find_library skips the host's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${GW_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu)

find_program(GW_QEMU_ARM NAMES qemu-arm-static qemu-arm)
if(GW_QEMU_ARM)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${GW_QEMU_ARM})
endif()
