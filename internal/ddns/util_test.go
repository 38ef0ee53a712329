package ddns

import "net"

type net6Listen struct{}

func (net6Listen) listen() (net.Listener, error) { return net.Listen("tcp6", "[::1]:0") }
