package providersim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// Cloudflare behaves as API v4 documents the calls a DDNS client makes
// (https://developers.cloudflare.com/api/): GET /zones?name=,
// GET/POST /zones/{zone_id}/dns_records, PUT/PATCH
// /zones/{zone_id}/dns_records/{id}, all with "Authorization: Bearer TOKEN"
// and the {success, errors, messages, result} envelope. A wrong token gets
// 403 with error 10000 "Authentication error".
type Cloudflare struct {
	base
	mu      sync.Mutex
	token   string
	zones   map[string]string // id -> name
	records map[string]*CFRecord
	nextID  int
}

// CFRecord is one DNS record held by the fake.
type CFRecord struct {
	ID      string `json:"id"`
	ZoneID  string `json:"zone_id"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	Content string `json:"content"`
	TTL     int    `json:"ttl"`
	Proxied bool   `json:"proxied"`
}

// NewCloudflare returns a fake API with one token and zones (name -> id).
func NewCloudflare(token string, zones map[string]string) *Cloudflare {
	c := &Cloudflare{token: token, zones: map[string]string{}, records: map[string]*CFRecord{}}
	for name, id := range zones {
		c.zones[id] = name
	}
	return c
}

// Records returns the records of a name and type.
func (c *Cloudflare) Records(name, typ string) []CFRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []CFRecord
	for _, r := range c.records {
		if r.Name == name && r.Type == typ {
			out = append(out, *r)
		}
	}
	return out
}

type cfMsg struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func cfWrite(w http.ResponseWriter, status int, result any, errs ...cfMsg) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if errs == nil {
		errs = []cfMsg{}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"success": len(errs) == 0, "errors": errs, "messages": []cfMsg{}, "result": result,
	})
}

// ServeHTTP implements http.Handler.
func (c *Cloudflare) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c.injected(w, r) {
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+c.token {
		c.log(r, "", false)
		cfWrite(w, http.StatusForbidden, nil, cfMsg{10000, "Authentication error"})
		return
	}
	c.log(r, "token", true)
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case len(parts) == 1 && parts[0] == "zones" && r.Method == http.MethodGet:
		want := r.URL.Query().Get("name")
		res := []map[string]string{}
		for id, name := range c.zones {
			if want == "" || want == name {
				res = append(res, map[string]string{"id": id, "name": name})
			}
		}
		cfWrite(w, http.StatusOK, res)
	case len(parts) >= 3 && parts[0] == "zones" && parts[2] == "dns_records":
		zid := parts[1]
		if _, ok := c.zones[zid]; !ok {
			cfWrite(w, http.StatusNotFound, nil, cfMsg{7003, "Could not route to /zones/" + zid + ", perhaps your object identifier is invalid?"})
			return
		}
		c.records2(w, r, zid, parts[3:])
	default:
		cfWrite(w, http.StatusNotFound, nil, cfMsg{7000, "No route for that URI"})
	}
}

func (c *Cloudflare) records2(w http.ResponseWriter, r *http.Request, zid string, rest []string) {
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet:
		q := r.URL.Query()
		res := []CFRecord{}
		for _, rec := range c.records {
			if rec.ZoneID == zid && (q.Get("type") == "" || rec.Type == q.Get("type")) && (q.Get("name") == "" || rec.Name == q.Get("name")) {
				res = append(res, *rec)
			}
		}
		cfWrite(w, http.StatusOK, res)
	case len(rest) == 0 && r.Method == http.MethodPost,
		len(rest) == 1 && (r.Method == http.MethodPut || r.Method == http.MethodPatch):
		var in CFRecord
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Type == "" || in.Name == "" || in.Content == "" {
			cfWrite(w, http.StatusBadRequest, nil, cfMsg{9207, "Request body is invalid."})
			return
		}
		if (in.Type == "A" && strings.Contains(in.Content, ":")) || (in.Type == "AAAA" && !strings.Contains(in.Content, ":")) {
			cfWrite(w, http.StatusBadRequest, nil, cfMsg{9005, "Content for " + in.Type + " record is invalid."})
			return
		}
		var rec *CFRecord
		if len(rest) == 1 {
			rec = c.records[rest[0]]
			if rec == nil || rec.ZoneID != zid {
				cfWrite(w, http.StatusNotFound, nil, cfMsg{81044, "Record does not exist."})
				return
			}
		} else {
			c.nextID++
			rec = &CFRecord{ID: fmt.Sprintf("rec%04d", c.nextID), ZoneID: zid}
			c.records[rec.ID] = rec
		}
		rec.Type, rec.Name, rec.Content, rec.TTL, rec.Proxied = in.Type, in.Name, in.Content, in.TTL, in.Proxied
		cfWrite(w, http.StatusOK, *rec)
	default:
		cfWrite(w, http.StatusMethodNotAllowed, nil, cfMsg{10405, "Method not allowed"})
	}
}
