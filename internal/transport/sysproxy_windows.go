package transport

import (
	"errors"

	"golang.org/x/sys/windows/registry"
)

// internetSettings is where WinINET keeps the per-user proxy.
const internetSettings = `Software\Microsoft\Windows\CurrentVersion\Internet Settings`

// CurrentSystemProxy reads the proxy Windows's settings name for this
// user.
func CurrentSystemProxy() (SystemProxy, []error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, internetSettings, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return SystemProxy{}, nil
	}
	if err != nil {
		return SystemProxy{}, []error{err}
	}
	defer k.Close()
	enable, _, _ := k.GetIntegerValue("ProxyEnable")
	server, _, _ := k.GetStringValue("ProxyServer")
	override, _, _ := k.GetStringValue("ProxyOverride")
	pac, _, _ := k.GetStringValue("AutoConfigURL")
	return ParseWinINET(enable, server, override, pac)
}
