# BPF skeletons from CMake, after libbpf-bootstrap's FindBpfObject.
#
#   bpf_object(NAME SOURCES a.bpf.c [b.bpf.c ...] [DEPENDS header ...])
#
# Each source: clang -target bpf -g -O2 -D__TARGET_ARCH_<arch>, then
# llvm-strip -g (DWARF out, BTF kept); all objects are linked with
# `bpftool gen object` and turned into NAME.skel.h by `bpftool gen
# skeleton`. The result is an INTERFACE library NAME_skel whose include
# directory holds NAME.skel.h; link it and include "NAME.skel.h".
#
# BPFOBJECT_FOUND says whether clang, llvm-strip and bpftool were found.
# The committed bpf/vmlinux/<arch>/vmlinux.h serves every kernel (CO-RE);
# the opt-in target `vmlinux_h` regenerates it from the running kernel.

find_program(BPFOBJECT_CLANG_EXE NAMES clang)
find_program(BPFOBJECT_STRIP_EXE NAMES llvm-strip)
find_program(BPFOBJECT_BPFTOOL_EXE NAMES bpftool
  PATHS /usr/sbin /sbin /usr/local/sbin)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|amd64|AMD64")
  set(BPFOBJECT_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BPFOBJECT_ARCH arm64)
else()
  set(BPFOBJECT_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()
set(BPFOBJECT_VMLINUX_DIR ${PROJECT_SOURCE_DIR}/bpf/vmlinux/${BPFOBJECT_ARCH})

if(BPFOBJECT_CLANG_EXE AND BPFOBJECT_STRIP_EXE AND BPFOBJECT_BPFTOOL_EXE
   AND EXISTS ${BPFOBJECT_VMLINUX_DIR}/vmlinux.h)
  set(BPFOBJECT_FOUND TRUE)
else()
  set(BPFOBJECT_FOUND FALSE)
endif()

if(BPFOBJECT_BPFTOOL_EXE AND NOT TARGET vmlinux_h)
  add_custom_target(vmlinux_h
    COMMAND ${CMAKE_COMMAND} -E make_directory ${BPFOBJECT_VMLINUX_DIR}
    COMMAND sh -c "${BPFOBJECT_BPFTOOL_EXE} btf dump file /sys/kernel/btf/vmlinux format c > ${BPFOBJECT_VMLINUX_DIR}/vmlinux.h.tmp && mv ${BPFOBJECT_VMLINUX_DIR}/vmlinux.h.tmp ${BPFOBJECT_VMLINUX_DIR}/vmlinux.h"
    COMMENT "Regenerating bpf/vmlinux/${BPFOBJECT_ARCH}/vmlinux.h from the running kernel"
    VERBATIM)
endif()

function(bpf_object name)
  cmake_parse_arguments(PARSE_ARGV 1 B "" "" "SOURCES;DEPENDS")
  if(NOT BPFOBJECT_FOUND)
    message(FATAL_ERROR "bpf_object(${name}): clang, llvm-strip or bpftool missing")
  endif()
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf)
  file(MAKE_DIRECTORY ${out_dir})
  set(objs)
  foreach(src ${B_SOURCES})
    get_filename_component(abs ${src} ABSOLUTE)
    get_filename_component(dir ${abs} DIRECTORY)
    get_filename_component(base ${abs} NAME_WE)
    set(obj ${out_dir}/${base}.bpf.o)
    add_custom_command(OUTPUT ${obj}
      COMMAND ${BPFOBJECT_CLANG_EXE} -g -O2 -target bpf
              -D__TARGET_ARCH_${BPFOBJECT_ARCH}
              -I${BPFOBJECT_VMLINUX_DIR} -I${dir}
              -Wall -Werror -Wno-unused-function
              -c ${abs} -o ${obj}
      COMMAND ${BPFOBJECT_STRIP_EXE} -g ${obj}
      DEPENDS ${abs} ${B_DEPENDS} ${BPFOBJECT_VMLINUX_DIR}/vmlinux.h
      COMMENT "[clang] ${base}.bpf.c"
      VERBATIM)
    list(APPEND objs ${obj})
  endforeach()
  set(linked ${out_dir}/${name}.o)
  set(skel ${out_dir}/${name}.skel.h)
  add_custom_command(OUTPUT ${linked}
    COMMAND ${BPFOBJECT_BPFTOOL_EXE} gen object ${linked} ${objs}
    DEPENDS ${objs}
    COMMENT "[bpftool] gen object ${name}.o"
    VERBATIM)
  add_custom_command(OUTPUT ${skel}
    COMMAND sh -c "${BPFOBJECT_BPFTOOL_EXE} gen skeleton ${linked} name ${name} > ${skel}.tmp && mv ${skel}.tmp ${skel}"
    DEPENDS ${linked}
    COMMENT "[bpftool] gen skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  target_include_directories(${name}_skel INTERFACE ${out_dir})
  add_dependencies(${name}_skel ${name}_skel_gen)
endfunction()
