# Warnings and sanitizers come from one interface target that every module links.
add_library(gw_warnings INTERFACE)
target_compile_options(gw_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wformat=2 -Wconversion -Wno-sign-conversion -Werror)
target_compile_definitions(gw_warnings INTERFACE _GNU_SOURCE)

if(GW_SANITIZE)
  string(REPLACE ";" "," _gw_san "${GW_SANITIZE}")
  target_compile_options(gw_warnings INTERFACE -fsanitize=${_gw_san} -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  target_link_options(gw_warnings INTERFACE -fsanitize=${_gw_san})
endif()

# A fuzz build instruments every module for coverage (the fuzz targets add -fsanitize=fuzzer
# for the driver); without this libFuzzer would see only the target file's own branches.
if(GW_FUZZ)
  target_compile_options(gw_warnings INTERFACE -fsanitize=fuzzer-no-link)
endif()
