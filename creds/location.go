package creds

import (
	"fmt"
	"runtime"
)

// Location tells a person where the OS keyring files the entry for host
// and user, in the words of that OS's own tools, so "stored" can be checked
// and undone without relaywiz.
func Location(host, user string) string {
	return location(runtime.GOOS, host, user)
}

func location(goos, host, user string) string {
	svc := ServiceName(host)
	switch goos {
	case "darwin":
		return fmt.Sprintf("the login Keychain (generic password, service %q, account %q)", svc, user)
	case "windows":
		// go-keyring names the generic credential "<service>:<user>".
		return fmt.Sprintf("Windows Credential Manager (generic credential %q)", svc+":"+user)
	default:
		return fmt.Sprintf("the Secret Service keyring (item with service=%q username=%q)", svc, user)
	}
}
