package probeserve

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dualpath/dualpath/internal/msg"
	"github.com/dualpath/dualpath/internal/portprobe"
)

// maxConcurrent bounds the probes running at once, over all sources.
const maxConcurrent = 16

// Server is the probe service's HTTP handler.
type Server struct {
	token [sha256.Size]byte
	lim   *limiter
	sem   chan struct{}
	log   *slog.Logger
	// Now is the clock (tests move it); default time.Now.
	Now func() time.Time
	// Timeout bounds each probe step; default portprobe.DefaultTimeout.
	Timeout time.Duration
	// Roots verify the TLS chains seen; nil means the system roots.
	Roots *x509.CertPool
	// probe runs one probe; tests observe the targets through it.
	probe func(ctx context.Context, target netip.Addr, spec portprobe.Spec, opts portprobe.Options) portprobe.Result
}

// Options configure NewServer.
type Options struct {
	Token string        // the bearer token every request must carry (not empty)
	Burst int           // requests per source at once; default DefaultBurst
	Every time.Duration // one more request per source after this; default DefaultEvery
	Log   *slog.Logger  // nil: discard
}

// NewServer returns the handler. The token is kept only as its SHA-256, so
// comparing digests in constant time leaks neither content nor length.
func NewServer(o Options) (*Server, error) {
	if o.Token == "" {
		return nil, errors.New("probe-serve needs a token: write one (e.g. from openssl rand -hex 24) into the token file, mode 0600")
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Server{
		token: sha256.Sum256([]byte(o.Token)),
		lim:   newLimiter(o.Burst, o.Every),
		sem:   make(chan struct{}, maxConcurrent),
		log:   log,
		Now:   time.Now,
		probe: portprobe.Probe,
	}, nil
}

// ServeHTTP answers POST /v1/probe. The target is the connection's peer
// (r.RemoteAddr) and nothing else: no header (X-Forwarded-For) and no body
// field can change it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != Path {
		refuse(w, http.StatusNotFound, "not found: the probe is POST "+Path)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuse(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		refuse(w, http.StatusBadRequest, "cannot tell the source address")
		return
	}
	target := ap.Addr().Unmap().WithZone("")
	if ok, wait := s.lim.allow(target, s.Now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		refuse(w, http.StatusTooManyRequests, "too many requests from "+sourceKey(target).String()+": wait "+wait.Round(time.Second).String())
		return
	}
	if !s.authorized(r.Header.Get("Authorization")) {
		msg.LogInfo(s.log, msg.T("probe refused: bad token", "トークンが違うため、調べる依頼を断りました"), "source", target)
		refuse(w, http.StatusUnauthorized, "missing or wrong token (Authorization: Bearer TOKEN)")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestSize+1))
	if err != nil {
		refuse(w, http.StatusBadRequest, "cannot read the request")
		return
	}
	if len(body) > MaxRequestSize {
		refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request larger than %d bytes", MaxRequestSize))
		return
	}
	req, err := DecodeRequest(body)
	if err != nil {
		refuse(w, http.StatusBadRequest, err.Error())
		return
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-r.Context().Done():
		return
	}
	ans := s.run(r.Context(), target, req)
	msg.LogInfo(s.log, msg.T("probed", "依頼どおりに調べました"), "source", target, "ports", len(req.Ports))
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ans)
}

func (s *Server) authorized(h string) bool {
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(got[:], s.token[:]) == 1
}

// run probes target's ports side by side (at most MaxPorts connections,
// a browser's worth), so that filtered ports cost one timeout, not one each.
func (s *Server) run(ctx context.Context, target netip.Addr, req Request) Answer {
	ans := Answer{Version: Version, Target: target, Results: make([]portprobe.Result, len(req.Ports))}
	opts := portprobe.Options{Timeout: s.Timeout, Roots: s.Roots}
	var wg sync.WaitGroup
	for i, p := range req.Ports {
		wg.Add(1)
		go func() {
			defer wg.Done()
			spec := portprobe.Spec{Port: p.Port, HTTP: p.HTTP, TLS: p.TLS, Host: req.Host}
			ans.Results[i] = s.probe(ctx, target, spec, opts)
		}()
	}
	wg.Wait()
	return ans
}

func refuse(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(errorBody{Error: msg})
}
