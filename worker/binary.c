/*
 * Which files are copied as they are (see binary.h): binaryornot's answer,
 * as cookiecutter asks it, approximated: known binary extensions, then the
 * first 512 bytes: a NUL, invalid UTF-8 or many control characters.
 */

#include <string.h>

#include "binary.h"
#include "djass_utf8.h"


#define DJASS_BINARY_CHUNK     512


static int
djass_binary_ext(const char *name)
{
    const char   *dot;
    char          ext[16];
    size_t        i;
    static const char  exts[] =
        " png jpg jpeg gif bmp ico icns tif tiff webp psd xcf heic avif"
        " pdf zip gz tgz bz2 xz 7z rar tar zst lz lzma jar war whl egg"
        " exe dll so dylib o a lib obj class pyc pyo pyd bin db sqlite"
        " sqlite3 woff woff2 ttf otf eot mp3 mp4 m4a wav ogg oga flac aac"
        " avi mov mkv webm wmv flv mpg mpeg doc docx xls xlsx ppt pptx odt"
        " ods odp swf dmg iso img deb rpm apk msi ";

    dot = strrchr(name, '.');
    if (dot == NULL || dot == name || strlen(dot + 1) >= sizeof(ext) - 2) {
        return 0;
    }

    ext[0] = ' ';
    for (i = 0; dot[i + 1]; i++) {
        ext[i + 1] = (dot[i + 1] >= 'A' && dot[i + 1] <= 'Z')
                     ? (char) (dot[i + 1] + 32) : dot[i + 1];
    }
    ext[i + 1] = ' ';
    ext[i + 2] = '\0';

    return strstr(exts, ext) != NULL;
}


int
djass_is_binary(const char *name, const char *p, size_t len)
{
    size_t  i, n, ctrl;

    if (djass_binary_ext(name)) {
        return 1;
    }

    n = len < DJASS_BINARY_CHUNK ? len : DJASS_BINARY_CHUNK;
    if (n == 0) {
        return 0;
    }

    ctrl = 0;
    for (i = 0; i < n; i++) {
        if (p[i] == '\0') {
            return 1;
        }
        if ((unsigned char) p[i] < 0x20 && p[i] != '\n' && p[i] != '\r'
            && p[i] != '\t' && p[i] != '\f' && p[i] != '\v' && p[i] != 0x1b)
        {
            ctrl++;
        }
    }

    if (ctrl * 10 > n) {
        return 1;
    }

    return !djass_utf8_valid(p, n, n < len);
}
