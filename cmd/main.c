#include "cmd/serve/serve.h"
int main(void) { return 0; }
