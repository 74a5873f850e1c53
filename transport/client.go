package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"
)

// Options configure a Client. Zero values take the defaults below.
type Options struct {
	UserAgent      string
	ConnectTimeout time.Duration // TCP connect
	TLSTimeout     time.Duration // TLS handshake
	HeaderTimeout  time.Duration // from request sent to response headers
	RequestTimeout time.Duration // the whole attempt, body included
	MaxBytes       int64         // body cap when a Request sets none
	MaxRedirects   int
	// TLSConfig is cloned for every connection; nil means the system's roots.
	TLSConfig *tls.Config
	Logger    *slog.Logger
}

// Defaults. A feed larger than 20 MB is not a feed; a server that has not
// answered in a minute will not.
const (
	DefaultUserAgent      = "Kabootar/0.1 (+https://github.com/kabootar/kabootar)"
	DefaultConnectTimeout = 10 * time.Second
	DefaultTLSTimeout     = 10 * time.Second
	DefaultHeaderTimeout  = 20 * time.Second
	DefaultRequestTimeout = 60 * time.Second
	DefaultMaxBytes       = 20 << 20
	DefaultMaxRedirects   = 10
)

// Client fetches requests. It is safe for concurrent use; make one per
// process and share it.
type Client struct {
	opts   Options
	direct *http.Client
	log    *slog.Logger
}

// New returns a Client with opts, defaults filled in.
func New(opts Options) *Client {
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = DefaultConnectTimeout
	}
	if opts.TLSTimeout <= 0 {
		opts.TLSTimeout = DefaultTLSTimeout
	}
	if opts.HeaderTimeout <= 0 {
		opts.HeaderTimeout = DefaultHeaderTimeout
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dialer := &net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second}
	var tlsConf *tls.Config
	if opts.TLSConfig != nil {
		tlsConf = opts.TLSConfig.Clone()
	}
	tr := &http.Transport{
		// Proxies are routes of their own, chosen by Kabootar, never picked
		// up silently from the environment.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   opts.TLSTimeout,
		ResponseHeaderTimeout: opts.HeaderTimeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
	}
	c := &Client{opts: opts, log: log}
	c.direct = &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if isBlockRedirect(req.URL) {
				return &BlockPageError{Signature: "redirect to " + req.URL.Host}
			}
			if len(via) >= opts.MaxRedirects {
				return &redirectError{n: len(via)}
			}
			return nil
		},
	}
	return c
}

// Close releases idle connections.
func (c *Client) Close() { c.direct.CloseIdleConnections() }

// Fetch gets req.URL, or one of its alternatives, and returns the first valid
// answer. When none is valid it returns an *Error listing every attempt.
func (c *Client) Fetch(ctx context.Context, req *Request) (*Response, error) {
	start := time.Now()
	urls := append([]string{req.URL}, req.Alternatives...)
	var attempts []Attempt
	for _, u := range urls {
		if ctx.Err() != nil {
			break
		}
		resp, a := c.attempt(ctx, RouteDirect, u, req)
		attempts = append(attempts, a)
		if resp != nil {
			resp.Attempts = attempts
			resp.Elapsed = time.Since(start)
			return resp, nil
		}
		c.log.Debug("attempt failed", "url", u, "route", a.Route, "verdict", a.Verdict, "err", a.Err)
	}
	if len(attempts) == 0 {
		return nil, fmt.Errorf("fetch %s: %w", req.URL, ctx.Err())
	}
	return nil, &Error{URL: req.URL, Attempts: attempts}
}

// attempt makes one try of one URL on one route. It returns either a valid
// response or nil and the failed attempt with its verdict.
func (c *Client) attempt(ctx context.Context, route, rawURL string, req *Request) (*Response, Attempt) {
	start := time.Now()
	a := Attempt{Route: route, URL: rawURL}
	fail := func(v Verdict, err error) (*Response, Attempt) {
		a.Verdict, a.Err, a.Elapsed = v, err, time.Since(start)
		return nil, a
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		if err == nil {
			err = fmt.Errorf("%q is not an http or https address", rawURL)
		}
		return fail(VerdictURLInvalid, err)
	}

	ctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	// The trace hooks run on the transport's goroutines.
	var ph atomic.Int32
	trace := &httptrace.ClientTrace{
		TLSHandshakeStart: func() { ph.Store(int32(phaseTLS)) },
		GotConn:           func(httptrace.GotConnInfo) { ph.Store(int32(phaseHTTP)) },
	}
	ctx = httptrace.WithClientTrace(ctx, trace)
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fail(VerdictURLInvalid, err)
	}
	hreq.Header.Set("User-Agent", c.opts.UserAgent)
	if req.Accept != "" {
		hreq.Header.Set("Accept", req.Accept)
	}
	if req.ETag != "" {
		hreq.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hreq.Header.Set("If-Modified-Since", req.LastModified)
	}

	hresp, err := c.direct.Do(hreq)
	if err != nil {
		var bp *BlockPageError
		if errors.As(err, &bp) {
			return fail(VerdictHTTPBlockpage, bp)
		}
		return fail(classify(err, phase(ph.Load())), err)
	}
	defer hresp.Body.Close()

	resp := &Response{
		Route:        route,
		URL:          rawURL,
		FinalURL:     hresp.Request.URL.String(),
		Status:       hresp.StatusCode,
		Header:       hresp.Header,
		ETag:         hresp.Header.Get("ETag"),
		LastModified: hresp.Header.Get("Last-Modified"),
	}
	switch {
	case hresp.StatusCode == http.StatusNotModified:
		resp.NotModified = true
		// A 304 keeps the validators we sent when it repeats none.
		if resp.ETag == "" {
			resp.ETag = req.ETag
		}
		if resp.LastModified == "" {
			resp.LastModified = req.LastModified
		}
		a.Elapsed = time.Since(start)
		return resp, a
	case hresp.StatusCode == http.StatusUnavailableForLegalReasons:
		return fail(VerdictHTTPBlockpage, &BlockPageError{Signature: "HTTP 451"})
	case hresp.StatusCode < 200 || hresp.StatusCode > 299:
		return fail(VerdictHTTPStatus, &StatusError{Code: hresp.StatusCode, Status: hresp.Status})
	}

	limit := req.MaxBytes
	if limit <= 0 {
		limit = c.opts.MaxBytes
	}
	if hresp.ContentLength > limit {
		return fail(VerdictBodyTooLarge, &TooLargeError{Limit: limit})
	}
	body, err := io.ReadAll(io.LimitReader(hresp.Body, limit+1))
	if err != nil {
		return fail(classify(err, phaseHTTP), fmt.Errorf("reading the answer: %w", err))
	}
	if int64(len(body)) > limit {
		return fail(VerdictBodyTooLarge, &TooLargeError{Limit: limit})
	}
	if sig, ok := blockPageIn(body); ok {
		return fail(VerdictHTTPBlockpage, &BlockPageError{Signature: sig})
	}
	resp.Body = body
	if req.Check != nil {
		if err := req.Check(resp); err != nil {
			return fail(VerdictBodyInvalid, &CheckError{Err: err})
		}
	}
	a.Elapsed = time.Since(start)
	return resp, a
}
