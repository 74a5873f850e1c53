//go:build !windows

package main

// attachConsole is needed on Windows only, where the GUI subsystem gives
// a program no console.
func attachConsole() {}
