package cache

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/kabootar/kabootar/internal/keys"
)

// maxBundleSig bounds manifest.sig (a signature is 88 characters).
const maxBundleSig = 1 << 10

// checkParts checks a version-2 bundle's zip against its manifest: every
// entry is one the manifest lists, one of its images or the signature,
// and each listed part is there with the size listed. The parts' hashes
// are checked as they are read.
func checkParts(files map[string]*zip.File, man bundleManifest) (map[string]bundlePart, error) {
	parts := map[string]bundlePart{}
	for _, p := range man.Parts {
		if _, dup := parts[p.Name]; dup || p.Name == "manifest.json" || p.Name == "manifest.sig" {
			return nil, fmt.Errorf("%w: its manifest lists %s wrongly", ErrBadBundle, p.Name)
		}
		parts[p.Name] = p
	}
	if _, ok := parts["articles.jsonl"]; !ok {
		return nil, fmt.Errorf("%w: its manifest does not list its articles", ErrBadBundle)
	}
	for name, f := range files {
		switch {
		case name == "manifest.json" || name == "manifest.sig" || isMediaName(name):
		case parts[name] == (bundlePart{}):
			return nil, fmt.Errorf("%w: it holds %s, which its manifest does not list", ErrBadSignature, name)
		case f.UncompressedSize64 != uint64(parts[name].Size):
			return nil, fmt.Errorf("%w (%s is %d bytes; its manifest says %d)", ErrBadSignature, name, f.UncompressedSize64, parts[name].Size)
		}
	}
	for name := range parts {
		if files[name] == nil {
			return nil, fmt.Errorf("%w (%s is missing)", ErrBadSignature, name)
		}
	}
	return parts, nil
}

// isMediaName is media/ and a SHA-256 in hex: an image, named by its hash.
func isMediaName(name string) bool {
	h, ok := strings.CutPrefix(name, "media/")
	if !ok || len(h) != 64 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil && strings.ToLower(h) == h
}

// checkPart checks data against the manifest's part name, when it lists
// one (an older bundle lists none).
func checkPart(parts map[string]bundlePart, name string, data []byte) error {
	p, ok := parts[name]
	if !ok {
		return nil
	}
	sum := sha256.Sum256(data)
	if int64(len(data)) != p.Size || hex.EncodeToString(sum[:]) != p.SHA256 {
		return fmt.Errorf("%w (%s differs from its manifest)", ErrBadSignature, name)
	}
	return nil
}

// verifyManifest checks manifest.sig: signer's signature of the manifest.
func verifyManifest(files map[string]*zip.File, signer string, manifest []byte) (keys.PublicKey, error) {
	key, err := keys.ParsePublicKey(signer)
	if err != nil {
		return nil, fmt.Errorf("%w: its signer: %v", ErrBadBundle, err)
	}
	f := files["manifest.sig"]
	if f == nil {
		return nil, fmt.Errorf("%w (the signature is missing)", ErrBadSignature)
	}
	text, err := readBundleFile(f, maxBundleSig)
	if err != nil {
		return nil, err
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(text)))
	if err != nil || !key.Verify(manifest, sig) {
		return nil, ErrBadSignature
	}
	return key, nil
}

// checkMedia reads every image of a version-2 bundle and checks it is
// what its name says: how many images it holds.
func checkMedia(files map[string]*zip.File) (int, error) {
	n := 0
	for name, f := range files {
		if !isMediaName(name) {
			continue
		}
		data, err := readBundleFile(f, maxBundleMedia)
		if err != nil {
			return 0, err
		}
		sum := sha256.Sum256(data)
		if "media/"+hex.EncodeToString(sum[:]) != name {
			return 0, fmt.Errorf("%w (the image %s was changed)", ErrBadSignature, name)
		}
		n++
	}
	return n, nil
}
