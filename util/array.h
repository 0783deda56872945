/* The number of elements of an array (not a pointer: the compiler does not check). */
#ifndef GW_ARRAY_H
#define GW_ARRAY_H

#define GW_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
