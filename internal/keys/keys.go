// Package keys holds a reader's signing identity and the text forms of
// keys that people pass to each other: a public key to paste, and a
// fingerprint of digits to read aloud and compare.
//
// A key is Ed25519 (crypto/ed25519). The private key never leaves the data
// directory; the public key travels in every bundle the reader signs.
package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// FileName is the identity's file in the data directory.
const FileName = "identity.key"

// keyPrefix starts a public key's text form, so that a pasted key is
// recognised as one (and not taken for a fingerprint or a file name).
const keyPrefix = "kabootar-key:"

// fileHeader is the identity file's first line; the seed follows.
const fileHeader = "kabootar identity v1"

// signContext is prefixed to every message signed, so that a signature
// made for a bundle can never be taken for one over anything else.
const signContext = "kabootar bundle signature v1\n"

// ErrCorruptKey is an identity file that cannot be read as a key.
var ErrCorruptKey = errors.New("the key file is damaged")

// ErrNotKey is text that is not a public key.
var ErrNotKey = errors.New("not a Kabootar public key")

// PublicKey is a reader's public key.
type PublicKey []byte

// String is the key's text form: kabootar-key: and base64url.
func (k PublicKey) String() string {
	return keyPrefix + base64.RawURLEncoding.EncodeToString(k)
}

// Equal says whether k and o are the same key.
func (k PublicKey) Equal(o PublicKey) bool {
	return ed25519.PublicKey(k).Equal(ed25519.PublicKey(o))
}

// Fingerprint is the key's fingerprint: 30 digits in six groups of five,
// the same for everyone who holds the key, short enough to read aloud.
// Each group is five bytes of the key's SHA-256, modulo 100000 (as
// Signal's safety numbers), about 100 bits in all.
func (k PublicKey) Fingerprint() string {
	sum := sha256.Sum256(append([]byte("kabootar fingerprint\n"), k...))
	groups := make([]string, 6)
	for i := range groups {
		var b [8]byte
		copy(b[3:], sum[i*5:i*5+5])
		groups[i] = fmt.Sprintf("%05d", binary.BigEndian.Uint64(b[:])%100000)
	}
	return strings.Join(groups, " ")
}

// Short is the fingerprint's first group, for file names and lists.
func (k PublicKey) Short() string {
	f := k.Fingerprint()
	return f[:5]
}

// Verify says whether sig is k's signature of msg.
func (k PublicKey) Verify(msg, sig []byte) bool {
	if len(k) != ed25519.PublicKeySize {
		return false
	}
	return ed25519.Verify(ed25519.PublicKey(k), append([]byte(signContext), msg...), sig)
}

// ParsePublicKey reads a key's text form. Spaces and line breaks around it
// (or inside, as a chat may wrap it) are ignored.
func ParsePublicKey(s string) (PublicKey, error) {
	s = strings.Join(strings.Fields(s), "")
	rest, ok := strings.CutPrefix(s, keyPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: a key starts with %q", ErrNotKey, keyPrefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: %q is cut short or changed; copy it again", ErrNotKey, s)
	}
	return PublicKey(b), nil
}

// NormalizeFingerprint is a fingerprint as typed (with or without spaces,
// in Persian or Arabic digits) in the form Fingerprint gives, or false.
func NormalizeFingerprint(s string) (string, bool) {
	var digits []rune
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, r)
		case r >= '۰' && r <= '۹':
			digits = append(digits, '0'+r-'۰')
		case r >= '٠' && r <= '٩':
			digits = append(digits, '0'+r-'٠')
		case r == ' ' || r == '-' || r == '\u200c':
		default:
			return "", false
		}
	}
	if len(digits) != 30 {
		return "", false
	}
	groups := make([]string, 6)
	for i := range groups {
		groups[i] = string(digits[i*5 : i*5+5])
	}
	return strings.Join(groups, " "), true
}

// Identity is this reader's key pair.
type Identity struct {
	priv ed25519.PrivateKey
}

// Public is the identity's public key.
func (id *Identity) Public() PublicKey {
	return PublicKey(id.priv.Public().(ed25519.PublicKey))
}

// Sign signs msg (in the bundle signature's context).
func (id *Identity) Sign(msg []byte) []byte {
	return ed25519.Sign(id.priv, append([]byte(signContext), msg...))
}

// Load reads the identity in dir, making one on first use. A file that is
// there but damaged is an error (ErrCorruptKey), never replaced: friends
// trust the old key, and a new one would silently lose that.
func Load(dir string) (*Identity, error) {
	path := filepath.Join(dir, FileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return create(path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the key %s: %w", path, err)
	}
	return parseIdentity(path, data)
}

func parseIdentity(path string, data []byte) (*Identity, error) {
	lines := strings.Fields(string(data))
	head := strings.Fields(fileHeader)
	if len(lines) != len(head)+1 || strings.Join(lines[:len(head)], " ") != fileHeader {
		return nil, fmt.Errorf("%w: %s is not a Kabootar key; move it away and a new key is made (friends must then trust the new one)", ErrCorruptKey, path)
	}
	seed, err := base64.RawURLEncoding.DecodeString(lines[len(head)])
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: %s is cut short or changed; move it away and a new key is made (friends must then trust the new one)", ErrCorruptKey, path)
	}
	return &Identity{priv: ed25519.NewKeyFromSeed(seed)}, nil
}

// create writes a new identity, readable by the user only, to a temporary
// name first: a key half written is never left under the real name. If
// another process made one meanwhile, that one is used.
func create(path string) (*Identity, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".identity-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("making a key in %s: %w", filepath.Dir(path), err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		tmp.Close()
		return nil, err
	}
	_, err = fmt.Fprintf(tmp, "%s\n%s\n", fileHeader, base64.RawURLEncoding.EncodeToString(seed))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("writing the key %s: %w", path, err)
	}
	// A link, not a rename: it fails if the name exists, so two first
	// runs at once agree on one key.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			data, rerr := os.ReadFile(path)
			if rerr != nil {
				return nil, rerr
			}
			return parseIdentity(path, data)
		}
		// A file system without hard links (some USB sticks): rename.
		if rerr := os.Rename(tmp.Name(), path); rerr != nil {
			return nil, fmt.Errorf("writing the key %s: %w", path, rerr)
		}
	}
	return &Identity{priv: ed25519.NewKeyFromSeed(seed)}, nil
}
