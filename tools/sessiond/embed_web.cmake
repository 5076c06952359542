# Generates a C file holding every file of web/ (the inspector served at /ui): its bytes, its
# path under /ui/ and an ETag (the first 16 hex digits of its SHA-256), in a table sorted by
# path. Usage: cmake -DDIR=web -DOUT=ui_assets.c -P embed_web.cmake
file(GLOB_RECURSE files RELATIVE "${DIR}" "${DIR}/*")
list(SORT files)
set(arrays "")
set(table "")
set(i 0)
foreach(f IN LISTS files)
  if(f MATCHES "(^|/)\\." OR f MATCHES "\\.md$")
    continue()
  endif()
  file(READ "${DIR}/${f}" hex HEX)
  file(SHA256 "${DIR}/${f}" sha)
  string(SUBSTRING "${sha}" 0 16 etag)
  string(LENGTH "${hex}" n)
  math(EXPR len "${n} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
  string(REGEX REPLACE "((0x..,){24})" "\\1\n" body "${body}")
  string(APPEND arrays "static const unsigned char a${i}[] = {\n${body}0};\n")
  string(APPEND table "    {\"${f}\", a${i}, ${len}, \"\\\"${etag}\\\"\"},\n")
  math(EXPR i "${i} + 1")
endforeach()
file(WRITE "${OUT}.tmp"
  "/* Generated from web/ by embed_web.cmake: the inspector's files, served at /ui. */\n"
  "#include \"sessiond/ui_assets.h\"\n"
  "${arrays}"
  "const sd_ui_asset sd_ui_assets[] = {\n${table}};\n"
  "const size_t sd_ui_nassets = ${i};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
