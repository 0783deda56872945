# Cross build for the Raspberry Pis with Debian's cross toolchain (crossbuild-essential-ARCH) and
# the target's -dev packages (multiarch, in /usr/lib/TRIPLET). Included by cmake/arm64.cmake
# (64-bit Raspberry Pi OS / Debian arm64) and cmake/armhf.cmake (the older Pis, 32-bit; 64-bit
# time_t and off_t come from the top CMakeLists.txt, as for every 32-bit build), which set
# CMAKE_SYSTEM_PROCESSOR (also qemu-user's name for the CPU) and GW_CROSS_TRIPLET.
# Tests run under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR): the target's dynamic loader sits at
# its multiarch path (/lib/ld-linux-aarch64.so.1, /lib/ld-linux-armhf.so.3), so it finds the
# target's libraries, those linked and those loaded on first use (dlopen), without QEMU_LD_PREFIX.
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/arm64.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${GW_CROSS_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${GW_CROSS_TRIPLET})

# Only the target's libraries: pkg-config reads its .pc files, find_library skips the host's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${GW_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu)

find_program(GW_QEMU NAMES qemu-${CMAKE_SYSTEM_PROCESSOR}-static qemu-${CMAKE_SYSTEM_PROCESSOR})
if(GW_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${GW_QEMU})
endif()
