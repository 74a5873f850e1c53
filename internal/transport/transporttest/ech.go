package transporttest

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
)

// ECHKey makes an Encrypted Client Hello key for a server whose outer
// (public) name is publicName: the key for tls.Config's
// EncryptedClientHelloKeys, and the ECHConfigList to publish in the
// site's DNS HTTPS record. X25519, HKDF-SHA256, AES-128-GCM.
func ECHKey(publicName string, configID uint8) (tls.EncryptedClientHelloKey, []byte, error) {
	if len(publicName) == 0 || len(publicName) > 255 {
		return tls.EncryptedClientHelloKey{}, nil, errors.New("a public name of 1 to 255 bytes")
	}
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return tls.EncryptedClientHelloKey{}, nil, err
	}
	pub := priv.PublicKey().Bytes()
	var body []byte
	body = append(body, configID)
	body = binary.BigEndian.AppendUint16(body, 0x0020) // DHKEM(X25519, HKDF-SHA256)
	body = binary.BigEndian.AppendUint16(body, uint16(len(pub)))
	body = append(body, pub...)
	body = binary.BigEndian.AppendUint16(body, 4)      // one cipher suite
	body = binary.BigEndian.AppendUint16(body, 0x0001) // HKDF-SHA256
	body = binary.BigEndian.AppendUint16(body, 0x0001) // AES-128-GCM
	body = append(body, 0)                             // maximum_name_length
	body = append(body, uint8(len(publicName)))
	body = append(body, publicName...)
	body = binary.BigEndian.AppendUint16(body, 0) // no extensions
	var config []byte
	config = binary.BigEndian.AppendUint16(config, 0xfe0d) // the version of RFC 9849
	config = binary.BigEndian.AppendUint16(config, uint16(len(body)))
	config = append(config, body...)
	list := binary.BigEndian.AppendUint16(nil, uint16(len(config)))
	list = append(list, config...)
	return tls.EncryptedClientHelloKey{Config: config, PrivateKey: priv.Bytes(), SendAsRetry: true}, list, nil
}
