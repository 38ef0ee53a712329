package sockets

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// List reads this network namespace's listening TCP sockets (through
// /proc/self/net, so the answer follows the process's namespace) and
// fills in the v6only flag of IPv6 sockets from sock_diag. When sock_diag is
// unavailable it guesses from net.ipv6.bindv6only and marks the guess.
func List() ([]Listener, error) {
	return list(tcpTables)
}

// ListUDP is List for UDP: the bound, unconnected UDP sockets (UDP's
// listeners), with the v6only flag from sock_diag's UDP dump.
func ListUDP() ([]Listener, error) {
	return list(udpTables)
}

// tables names a protocol's /proc/net files, the parser for them, and the
// sock_diag query that reports the same sockets.
type tables struct {
	v4, v6 string
	parse  func([]byte, bool) ([]Listener, error)
	proto  uint8  // IPPROTO_TCP / IPPROTO_UDP for sock_diag
	states uint32 // idiag_states bit mask
}

var (
	tcpTables = tables{"tcp", "tcp6", ParseProcNet, unix.IPPROTO_TCP, 1 << tcpListen}
	udpTables = tables{"udp", "udp6", ParseProcNetUDP, unix.IPPROTO_UDP, 1 << udpUnconnected}
)

func list(t tables) ([]Listener, error) {
	var all []Listener
	for _, f := range []struct {
		name string
		v6   bool
	}{{t.v4, false}, {t.v6, true}} {
		data, err := os.ReadFile("/proc/self/net/" + f.name)
		if err != nil {
			if f.v6 && os.IsNotExist(err) { // IPv6 disabled
				continue
			}
			return nil, err
		}
		ls, err := t.parse(data, f.v6)
		if err != nil {
			return nil, err
		}
		all = append(all, ls...)
	}
	flags, err := v6OnlyByInode(t.proto, t.states)
	guess := false
	if b, err := os.ReadFile("/proc/sys/net/ipv6/bindv6only"); err == nil {
		guess = strings.TrimSpace(string(b)) == "1"
	}
	for i := range all {
		if !all[i].IPv6() {
			continue
		}
		if v, ok := flags[all[i].Inode]; ok && err == nil {
			all[i].V6Only, all[i].V6OnlyKnown = v, true
		} else {
			all[i].V6Only = guess
		}
	}
	return all, nil
}

// sock_diag constants (linux/inet_diag.h, linux/sock_diag.h).
const (
	sockDiagByFamily  = 20
	inetDiagSKV6Only  = 11 // INET_DIAG_SKV6ONLY attribute
	inetDiagReqV2Size = 56
	inetDiagMsgSize   = 72
)

// v6OnlyByInode asks NETLINK_SOCK_DIAG for the AF_INET6 sockets of proto
// (IPPROTO_TCP via tcp_diag, IPPROTO_UDP via udp_diag) in the given states
// and returns inode -> IPV6_V6ONLY, from the INET_DIAG_SKV6ONLY attribute the
// kernel adds to every AF_INET6 socket it reports (inet_diag_msg_attrs_fill).
func v6OnlyByInode(proto uint8, states uint32) (map[uint64]bool, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	tv := unix.Timeval{Sec: 2}
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, err
	}
	req := make([]byte, unix.NLMSG_HDRLEN+inetDiagReqV2Size)
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], sockDiagByFamily)
	binary.NativeEndian.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	binary.NativeEndian.PutUint32(req[8:], 1)
	r := req[unix.NLMSG_HDRLEN:]
	r[0] = unix.AF_INET6
	r[1] = proto
	r[2] = 0 // idiag_ext: SKV6ONLY needs no extension bit
	binary.NativeEndian.PutUint32(r[4:], states)
	// inet_diag_sockid left zero: no filter, cookie = INET_DIAG_NOCOOKIE.
	binary.NativeEndian.PutUint32(r[48:], ^uint32(0))
	binary.NativeEndian.PutUint32(r[52:], ^uint32(0))
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, err
	}
	out := map[uint64]bool{}
	buf := make([]byte, 64<<10)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return nil, err
		}
		done, err := ParseDiagDump(buf[:n], out)
		if err != nil {
			return nil, err
		}
		if done {
			return out, nil
		}
	}
}

// ParseDiagDump decodes one datagram of a sock_diag dump (netlink messages
// holding struct inet_diag_msg and attributes) into inode -> v6only. It
// returns done at NLMSG_DONE.
func ParseDiagDump(b []byte, out map[uint64]bool) (done bool, err error) {
	for len(b) >= unix.NLMSG_HDRLEN {
		l := int(binary.NativeEndian.Uint32(b[0:]))
		typ := binary.NativeEndian.Uint16(b[4:])
		if l < unix.NLMSG_HDRLEN || l > len(b) {
			return false, fmt.Errorf("sockets: netlink message length %d of %d", l, len(b))
		}
		body := b[unix.NLMSG_HDRLEN:l]
		switch typ {
		case unix.NLMSG_DONE:
			return true, nil
		case unix.NLMSG_ERROR:
			if len(body) >= 4 {
				if e := int32(binary.NativeEndian.Uint32(body)); e != 0 {
					return false, fmt.Errorf("sockets: sock_diag: %v", unix.Errno(-e))
				}
			}
			return true, nil
		case sockDiagByFamily:
			if len(body) < inetDiagMsgSize {
				return false, fmt.Errorf("sockets: short inet_diag_msg (%d bytes)", len(body))
			}
			inode := uint64(binary.NativeEndian.Uint32(body[68:]))
			attrs := body[inetDiagMsgSize:]
			for len(attrs) >= 4 {
				al := int(binary.NativeEndian.Uint16(attrs[0:]))
				at := binary.NativeEndian.Uint16(attrs[2:]) & 0x3fff
				if al < 4 || al > len(attrs) {
					return false, fmt.Errorf("sockets: bad attribute length %d", al)
				}
				if at == inetDiagSKV6Only && al >= 5 {
					out[inode] = attrs[4] != 0
				}
				adv := (al + 3) &^ 3
				if adv > len(attrs) {
					break
				}
				attrs = attrs[adv:]
			}
		}
		adv := (l + 3) &^ 3
		if adv > len(b) {
			break
		}
		b = b[adv:]
	}
	return false, nil
}
