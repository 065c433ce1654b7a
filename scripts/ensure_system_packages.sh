#!/usr/bin/env bash
# The Debian packages the project uses beside its Python ones, installed when absent (needs root
# or sudo):
#   tesseract-ocr, tesseract-ocr-vie  Vietnamese accents on label text read off photos (vision/accents.py)
#   fonts-dejavu-core                 a font with Vietnamese letters (labels pasted in the tests and benchmarks)
#   chromium                          the browser tests (Playwright drives Debian's Chromium; its own
#                                     browser download is not used)
# `--app`: only what the app uses, and never fail: without them the app runs, without accents.
set -euo pipefail
APP_ONLY=0
[ "${1:-}" = "--app" ] && APP_ONLY=1

missing=()
if ! command -v tesseract >/dev/null 2>&1; then
    missing+=(tesseract-ocr tesseract-ocr-vie)
elif ! tesseract --list-langs 2>/dev/null | grep -qx vie; then
    missing+=(tesseract-ocr-vie)
fi
if [ "$APP_ONLY" -eq 0 ]; then
    [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ] || missing+=(fonts-dejavu-core)
    { command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; } || missing+=(chromium)
fi
[ "${#missing[@]}" -eq 0 ] && exit 0

give_up() {
    echo "$1" >&2
    if [ "$APP_ONLY" -eq 1 ]; then
        echo "the app runs without them: label text is shown without its Vietnamese accents" >&2
        exit 0
    fi
    exit 1
}
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo"
    else
        give_up "missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})"
    fi
fi
echo "installing Debian packages: ${missing[*]}" >&2
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
    give_up "could not install: ${missing[*]}"
fi
