// Package inspect asks a receiver what it understood of a message, at the inspect URL it serves:
// wahook conform --inspect and wahook fuzz --inspect share it.
package inspect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wahook/wahook/internal/engine"
)

// Placeholder is replaced by the message id in an inspect URL.
const Placeholder = "{id}"

// DefaultTimeout is how long Get waits for one message when Client.Timeout is 0.
const DefaultTimeout = 5 * time.Second

// CheckURL refuses an inspect URL that is not http(s) or has no {id} placeholder.
func CheckURL(raw string) error {
	if _, err := engine.CheckURL(raw); err != nil {
		return err
	}
	switch {
	case !strings.Contains(raw, Placeholder):
		return fmt.Errorf("%q has no %s placeholder for the message id", raw, Placeholder)
	}
	return nil
}

// Client GETs one receiver's inspect URL.
type Client struct {
	url     string
	timeout time.Duration
	http    *http.Client
}

// New returns a client for url (checked with CheckURL), trusting roots (nil: the system's) or, with
// insecure, any certificate, as the receiver's webhook URL is trusted.
func New(url string, timeout time.Duration, roots *x509.CertPool, insecure bool) *Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Client{url: url, timeout: timeout, http: &http.Client{
		Timeout: min(timeout, 2*time.Second),
		Transport: &http.Transport{
			Proxy:           nil, // the receiver is reached directly, as its webhooks are
			TLSClientConfig: &tls.Config{RootCAs: roots, InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12},
		},
	}}
}

// Close releases the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Get polls the URL for message id until it answers 2xx with the message model's JSON (IsModel),
// or the client's timeout runs out: a receiver that acknowledges first and processes later has the
// message a little after its 2xx.
func (c *Client) Get(ctx context.Context, id string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	target := strings.ReplaceAll(c.url, Placeholder, url.PathEscape(id))
	last := "no answer"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return nil, fmt.Errorf("inspect %s: %w", target, err)
		}
		resp, err := c.http.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			switch {
			case rerr != nil:
				last = rerr.Error()
			case resp.StatusCode/100 == 2 && IsModel(b):
				return b, nil
			case resp.StatusCode/100 == 2:
				last = "a 2xx that is not the message model's JSON"
			default:
				last = resp.Status
			}
		} else if ctx.Err() == nil {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
				return nil, fmt.Errorf("inspect %s: no model of the message within %v (last answer: %s)", target, c.timeout, last)
			}
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// IsModel tells a body that reports a message in the model's JSON form from any other: an object
// with the model's provider, type and kind members.
func IsModel(b []byte) bool {
	var probe struct {
		Provider *string `json:"provider"`
		Type     *string `json:"type"`
		Kind     *string `json:"kind"`
	}
	return json.Unmarshal(b, &probe) == nil && probe.Provider != nil && probe.Type != nil && probe.Kind != nil
}
