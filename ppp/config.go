package ppp

import (
	"crypto/rand"
	"errors"
)

// setDefaults fills in the documented defaults of zero fields.
func (c *Config) setDefaults() {
	if c.RestartTimer <= 0 {
		c.RestartTimer = DefaultRestartTimer
	}
	if c.MaxConfigure <= 0 {
		c.MaxConfigure = DefaultMaxConfigure
	}
	if c.MaxTerminate <= 0 {
		c.MaxTerminate = DefaultMaxTerminate
	}
	if c.MaxFailure <= 0 {
		c.MaxFailure = DefaultMaxFailure
	}
	if c.MaxMRU == 0 {
		c.MaxMRU = DefaultMRU
	}
	if c.MRU == 0 {
		c.MRU = DefaultMRU
	}
	if c.MRU > c.MaxMRU {
		// RFC 4638 section 2: an MRU above 1492 only when the PPPoE
		// layer negotiated PPP-Max-Payload for it.
		c.MRU = c.MaxMRU
	}
	if c.EchoFailures <= 0 {
		c.EchoFailures = DefaultEchoFailures
	}
	if c.EchoProbeInterval <= 0 {
		c.EchoProbeInterval = DefaultEchoProbeInterval
	}
	if c.EchoInterval > 0 && c.EchoProbeInterval > c.EchoInterval {
		c.EchoProbeInterval = c.EchoInterval // probing is never slower
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Name == "" {
		c.Name = "dualpath"
	}
}

// validate reports configuration errors a caller can act on.
func (c *Config) validate() error {
	switch c.Role {
	case RoleClient:
		if c.Auth != AuthNone && c.Username == "" {
			return errors.New("ppp: client needs a user name for authentication")
		}
	case RoleServer:
		if !c.LocalIPv4.Is4() {
			return errors.New("ppp: server needs LocalIPv4, its own IPv4 address")
		}
		if c.AssignIPv4 == nil {
			return errors.New("ppp: server needs AssignIPv4 to give the peer an address")
		}
		if c.Auth != AuthNone && c.Secrets == nil {
			return errors.New("ppp: server requiring authentication needs Secrets")
		}
	default:
		return errors.New("ppp: unknown role")
	}
	if c.MRU < MinMRU {
		return errors.New("ppp: MRU below 128")
	}
	switch c.Auth {
	case AuthAuto, AuthPAP, AuthCHAP, AuthNone:
	default:
		return errors.New("ppp: unknown authentication method")
	}
	return nil
}
