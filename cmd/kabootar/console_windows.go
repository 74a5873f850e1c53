package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// attachConsole gives a command typed in a console its output there.
// kabootar.exe is built for the GUI subsystem (no console window opens
// for the window), so Windows gives it no standard handles; when it was
// started from a console, it attaches to that one. Handles that already
// lead somewhere (a pipe, a file: kabootar.exe refresh > out.txt) are
// kept.
func attachConsole() {
	if h, err := windows.GetStdHandle(windows.STD_OUTPUT_HANDLE); err == nil && h != 0 && h != windows.InvalidHandle {
		return
	}
	attach := windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")
	const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS, (DWORD)-1
	if r, _, _ := attach.Call(attachParentProcess); r == 0 {
		return // started from Explorer or the Start menu: no console to print to
	}
	if out, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0); err == nil {
		os.Stdout, os.Stderr = out, out
	}
	if in, err := os.OpenFile("CONIN$", os.O_RDONLY, 0); err == nil {
		os.Stdin = in
	}
}
