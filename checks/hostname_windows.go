//go:build windows

package checks

import "golang.org/x/sys/windows"

// localFQDN is this machine's fully qualified DNS name, which is what
// Exchange's send connector says in EHLO when the connector sets no Fqdn.
// os.Hostname on Windows gives the short name only.
func localFQDN() string {
	n := uint32(256)
	buf := make([]uint16, n)
	if err := windows.GetComputerNameEx(windows.ComputerNameDnsFullyQualified, &buf[0], &n); err != nil {
		return ""
	}
	return windows.UTF16ToString(buf[:n])
}
