package probe

import (
	"bytes"
	"net"

	"github.com/dualpath/dualpath/pppoe"
)

// AccessConcentrator is one AC that answered our PADI with a PADO.
type AccessConcentrator struct {
	MAC          net.HardwareAddr
	Name         string   // AC-Name tag
	ServiceNames []string // Service-Name tags
	Errors       []string // Service-Name-Error, AC-System-Error, Generic-Error
	Cookie       bool     // the AC sent an AC-Cookie (it would expect it in PADR)
}

// BuildPADI returns a PADI frame from mac (RFC 2516 section 5.1): broadcast,
// session id 0, one empty Service-Name (any service) and our Host-Uniq so
// only answers to this probe count. doctor never follows with a PADR: no
// session is opened and no AC resources are used beyond the offer.
func BuildPADI(mac net.HardwareAddr, hostUniq []byte) []byte {
	p := &pppoe.Packet{Code: pppoe.CodePADI}
	p.Add(pppoe.TagServiceName, nil).Add(pppoe.TagHostUniq, hostUniq)
	payload, err := p.Marshal()
	if err != nil { // only for tags over 64 KiB: cannot happen here
		panic(err)
	}
	f := appendEth(make([]byte, 0, ethHeaderLen+len(payload)), broadcastMAC, mac, EtherTypePPPoEDisc)
	return append(f, payload...)
}

// ParsePADO decodes a frame as a PADO carrying our Host-Uniq (RFC 2516
// section 5.2). The decoding itself is package pppoe's.
func ParsePADO(frame []byte, hostUniq []byte) (AccessConcentrator, error) {
	var ac AccessConcentrator
	src, et, payload, err := parseEth(frame)
	if err != nil {
		return ac, err
	}
	if et != EtherTypePPPoEDisc {
		return ac, ErrNotForUs
	}
	p, err := pppoe.ParseDiscovery(payload)
	if err != nil {
		return ac, err
	}
	if p.Code != pppoe.CodePADO || p.SessionID != 0 {
		return ac, ErrNotForUs
	}
	if hu, ok := p.Tag(pppoe.TagHostUniq); !ok || !bytes.Equal(hu, hostUniq) {
		return ac, ErrNotForUs
	}
	ac.MAC = src
	ac.Name, _ = p.ACName()
	for _, t := range p.Tags {
		switch {
		case t.Type == pppoe.TagServiceName:
			ac.ServiceNames = append(ac.ServiceNames, string(t.Value))
		case t.Type == pppoe.TagACCookie:
			ac.Cookie = true
		case t.Type.IsError():
			ac.Errors = append(ac.Errors, t.Type.String()+": "+string(t.Value))
		}
	}
	return ac, nil
}
