# Generates a C file holding tables/default.yaml, so sessiond runs with no arguments from any
# directory. Usage: cmake -DIN=default.yaml -DOUT=default_table.c -P embed_table.cmake
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x..,){16})" "\\1\n" body "${body}")
file(WRITE "${OUT}.tmp"
  "/* Generated from tables/default.yaml by embed_table.cmake: the built-in default table. */\n"
  "#include \"sessiond/embedded_table.h\"\n"
  "const char sd_default_table[] = {\n${body}0};\n"
  "const size_t sd_default_table_len = ${len};\n")
file(RENAME "${OUT}.tmp" "${OUT}")
