//go:build !linux

package creds

// sessionBusPreflight is a Linux concern (D-Bus); Keychain and Credential
// Manager need no session bus.
func sessionBusPreflight() error { return nil }
