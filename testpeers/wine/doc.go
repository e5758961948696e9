// Package wine holds the black-box tests of relaywiz.exe under Wine
// (build tag winebox, run by .ci/windows/test.sh, part of `make test`):
// check, creds in Wine's Credential Manager, steps --out, send, headers and
// the wizard's first screen in a Wine console. Test tooling only.
package wine
