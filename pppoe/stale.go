package pppoe

// StaleSession is what a client persists while a session is up, so that after
// a crash or SIGKILL the next start can send a PADT for it first. Access
// concentrators on NTT FLET'S lines allow only 2 sessions per line; a leaked
// one would block the next dial until the AC's own keepalive notices.
type StaleSession struct {
	Interface string `json:"interface"`  // the interface the session ran on
	LocalMAC  MAC    `json:"local_mac"`  // our source MAC (the macvlan's, if any)
	ACMAC     MAC    `json:"ac_mac"`     // the access concentrator's MAC
	SessionID uint16 `json:"session_id"` // the PADS session ID
}

// PADT returns the frame that terminates the stale session.
func (s StaleSession) PADT() Frame {
	return Frame{Dst: s.ACMAC, Payload: NewPADT(s.SessionID, "stale session from an earlier run")}
}
