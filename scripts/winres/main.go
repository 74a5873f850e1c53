// Command winres writes what Windows shows of kabootar.exe: its icon
// (an .ico of PNG images, from assets/icon.png), its version
// information and its manifest, as a resource script for windres.
//
//	go run ./scripts/winres -version 0.3.0 -out DIR
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/png"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/image/draw"
)

func main() {
	icon := flag.String("icon", "assets/icon.png", "the icon, a square PNG")
	version := flag.String("version", "0.0.0", "the version, as 1.2.3")
	out := flag.String("out", "", "the directory to write kabootar.ico, kabootar.manifest and kabootar.rc to")
	flag.Parse()
	if *out == "" {
		log.Fatal("give -out DIR")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	f, err := os.Open(*icon)
	if err != nil {
		log.Fatal(err)
	}
	src, err := png.Decode(f)
	f.Close()
	if err != nil {
		log.Fatal(err)
	}
	ico, err := makeICO(src, []int{256, 64, 48, 32, 16})
	if err != nil {
		log.Fatal(err)
	}
	must(os.WriteFile(filepath.Join(*out, "kabootar.ico"), ico, 0o644))
	must(os.WriteFile(filepath.Join(*out, "kabootar.manifest"), []byte(manifest), 0o644))
	must(os.WriteFile(filepath.Join(*out, "kabootar.rc"), []byte(resourceScript(*version)), 0o644))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// makeICO is an icon file whose images are PNGs (Windows Vista and later
// read them), one per size.
func makeICO(src image.Image, sizes []int) ([]byte, error) {
	var images [][]byte
	for _, s := range sizes {
		dst := image.NewRGBA(image.Rect(0, 0, s, s))
		draw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
		var b bytes.Buffer
		if err := png.Encode(&b, dst); err != nil {
			return nil, err
		}
		images = append(images, b.Bytes())
	}
	var out bytes.Buffer
	binary.Write(&out, binary.LittleEndian, [3]uint16{0, 1, uint16(len(images))}) // reserved, icon, count
	offset := 6 + 16*len(images)
	for i, img := range images {
		side := uint8(sizes[i] % 256) // 0 means 256
		binary.Write(&out, binary.LittleEndian, struct {
			W, H, Colors, Reserved uint8
			Planes, BPP            uint16
			Size, Offset           uint32
		}{side, side, 0, 0, 1, 32, uint32(len(img)), uint32(offset)})
		offset += len(img)
	}
	for _, img := range images {
		out.Write(img)
	}
	return out.Bytes(), nil
}

// The manifest: per-monitor DPI awareness (Fyne scales itself), UTF-8 as
// the process's code page, Windows 10 and 11.
const manifest = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <assemblyIdentity type="win32" name="org.kabootar.kabootar" version="1.0.0.0"/>
  <compatibility xmlns="urn:schemas-microsoft-com:compatibility.v1">
    <application><supportedOS Id="{8e0f7a12-bfb3-4fe8-b9a5-48fd50a15a9a}"/></application>
  </compatibility>
  <application xmlns="urn:schemas-microsoft-com:asm.v3">
    <windowsSettings>
      <dpiAware xmlns="http://schemas.microsoft.com/SMI/2005/WindowsSettings">true/pm</dpiAware>
      <dpiAwareness xmlns="http://schemas.microsoft.com/SMI/2016/WindowsSettings">permonitorv2,permonitor</dpiAwareness>
      <activeCodePage xmlns="http://schemas.microsoft.com/SMI/2019/WindowsSettings">UTF-8</activeCodePage>
    </windowsSettings>
  </application>
  <trustInfo xmlns="urn:schemas-microsoft-com:asm.v3">
    <security><requestedPrivileges><requestedExecutionLevel level="asInvoker" uiAccess="false"/></requestedPrivileges></security>
  </trustInfo>
</assembly>
`

// resourceScript is the .rc: the icon, the version information (in
// English and Persian, which Explorer shows by the reader's language) and
// the manifest.
func resourceScript(version string) string {
	nums := [4]int{}
	for i, p := range strings.SplitN(strings.SplitN(version, "-", 2)[0], ".", 4) {
		nums[i], _ = strconv.Atoi(p)
	}
	v := fmt.Sprintf("%d,%d,%d,%d", nums[0], nums[1], nums[2], nums[3])
	block := func(lang, desc string) string {
		return fmt.Sprintf(`    BLOCK "%s"
    BEGIN
      VALUE "CompanyName", "Kabootar"
      VALUE "FileDescription", "%s"
      VALUE "FileVersion", "%s"
      VALUE "InternalName", "kabootar"
      VALUE "OriginalFilename", "kabootar.exe"
      VALUE "ProductName", "Kabootar"
      VALUE "ProductVersion", "%s"
    END
`, lang, desc, version, version)
	}
	return `#pragma code_page(65001)
1 ICON "kabootar.ico"
1 24 "kabootar.manifest"
1 VERSIONINFO
FILEVERSION ` + v + `
PRODUCTVERSION ` + v + `
FILEOS 0x40004
FILETYPE 0x1
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
` + block("040904b0", "Kabootar, a news reader that gets through") + block("042904b0", "کبوتر، خبرخوانی که از فیلتر می\u200cگذرد") + `  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200, 0x429, 1200
  END
END
`
}
