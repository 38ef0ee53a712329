package ddns

import (
	"encoding/json"
	"net"
)

type net6Listen struct{}

func (net6Listen) listen() (net.Listener, error) { return net.Listen("tcp6", "[::1]:0") }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
