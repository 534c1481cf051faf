#include <stdio.h>

int
main(int argc, char **argv)
{
    fprintf(stderr, "djassctl: not built yet\n");
    return 2;
}
