package pppoe

import (
	"bytes"
	"testing"
)

func TestSessionHeaderRoundTrip(t *testing.T) {
	payload := []byte{0xc0, 0x21, 1, 2, 0, 4}
	b := AppendSessionHeader(nil, 0x1234, len(payload))
	want := []byte{0x11, 0x00, 0x12, 0x34, 0x00, 0x06}
	if !bytes.Equal(b, want) {
		t.Fatalf("header = % x, want % x", b, want)
	}
	b = append(b, payload...)
	b = append(b, 0, 0, 0, 0) // Ethernet padding
	id, p, err := ParseSessionHeader(b)
	if err != nil || id != 0x1234 || !bytes.Equal(p, payload) {
		t.Fatalf("parse = %#x % x %v", id, p, err)
	}
}

func TestParseSessionHeaderErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"short", []byte{0x11, 0, 0, 1, 0}, ErrShort},
		{"version", []byte{0x21, 0, 0, 1, 0, 0}, ErrVersion},
		{"code", []byte{0x11, 0x09, 0, 1, 0, 0}, ErrCode},
		{"length", []byte{0x11, 0, 0, 1, 0, 3, 0xc0, 0x21}, ErrLength},
	} {
		if _, _, err := ParseSessionHeader(tc.in); err != tc.want {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func FuzzParseSessionHeader(f *testing.F) {
	f.Add([]byte{0x11, 0, 0x12, 0x34, 0, 2, 0xc0, 0x21})
	f.Add([]byte{0x11, 0, 0, 1, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, p, err := ParseSessionHeader(b)
		if err != nil {
			return
		}
		again := append(AppendSessionHeader(nil, id, len(p)), p...)
		if !bytes.Equal(again, b[:SessionHeaderLen+len(p)]) {
			t.Fatalf("re-encode % x != % x", again, b[:SessionHeaderLen+len(p)])
		}
	})
}
