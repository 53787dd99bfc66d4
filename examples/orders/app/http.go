package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/esgen/esgen/aggregate"
	"github.com/esgen/esgen/eventstore"
	"github.com/esgen/esgen/examples/orders/events"
	"github.com/esgen/esgen/examples/orders/order"
)

// Handler returns the HTTP API:
//
//	POST /orders                 {"order_id", "customer_id", "currency", "lines": [{"sku", "quantity", "unit_price_cents"}]}
//	POST /orders/{id}/pay        {"payment_id", "amount_cents", "method"}
//	POST /orders/{id}/ship       {"carrier", "tracking_number"}
//	POST /orders/{id}/cancel     {"reason"}
//	GET  /orders/{id}            the order's row of order_status
//	GET  /orders?status=paid     order_status, optionally filtered
//	GET  /projections            each projection's checkpoint, lag, owner and dead letters
//	GET  /healthz                200 when the store answers
//
// Every POST needs an Idempotency-Key header: a retry with the same key never acts twice and
// answers like the first attempt. Errors are JSON {"error": "..."} with 400 for bad input,
// 404 for an unknown order, 409 for a conflict that retries could not resolve and 422 for a
// refused rule.
func Handler(a *App, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &api{a: a, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", h.create)
	mux.HandleFunc("POST /orders/{id}/pay", h.pay)
	mux.HandleFunc("POST /orders/{id}/ship", h.ship)
	mux.HandleFunc("POST /orders/{id}/cancel", h.cancel)
	mux.HandleFunc("GET /orders/{id}", h.get)
	mux.HandleFunc("GET /orders", h.list)
	mux.HandleFunc("GET /projections", h.projections)
	mux.HandleFunc("GET /healthz", h.health)
	return mux
}

type api struct {
	a   *App
	log *slog.Logger
}

type errorBody struct {
	Error string `json:"error"`
}

const maxBody = 1 << 20

func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		return fmt.Errorf("%w: request body: trailing data after the JSON object; send one object", order.ErrInvalid)
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return fmt.Errorf("%w: request body exceeds %d bytes", order.ErrInvalid, maxBody)
	case err != nil:
		return fmt.Errorf("%w: request body: %v", order.ErrInvalid, err)
	}
	return nil
}

func (h *api) write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fail maps an error to its status code.
func (h *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, order.ErrInvalid), errors.Is(err, order.ErrNoKey), errors.Is(err, eventstore.ErrInvalidInput):
		status = http.StatusBadRequest
	case errors.Is(err, order.ErrNotCreated), errors.Is(err, ErrNoOrder), errors.Is(err, aggregate.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, aggregate.ErrAlreadyExists), errors.Is(err, eventstore.ErrWrongExpectedVersion),
		errors.Is(err, eventstore.ErrDuplicateEventID):
		status = http.StatusConflict
	case errors.Is(err, order.ErrAlreadyPaid), errors.Is(err, order.ErrNotPaid), errors.Is(err, order.ErrWrongAmount),
		errors.Is(err, order.ErrAlreadyShipped), errors.Is(err, order.ErrAlreadyCancelled):
		status = http.StatusUnprocessableEntity
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		status = http.StatusServiceUnavailable
	}
	msg := err.Error()
	if status == http.StatusInternalServerError {
		h.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		msg = "internal error; see the server log"
	}
	h.write(w, status, errorBody{Error: msg})
}

type orderReply struct {
	OrderID string `json:"order_id"`
	Status  string `json:"status"`
	Version uint64 `json:"version"`
}

func (h *api) reply(w http.ResponseWriter, status int, o *order.Order) {
	h.write(w, status, orderReply{OrderID: o.ID(), Status: string(o.Status()), Version: o.Version()})
}

func key(r *http.Request) string { return r.Header.Get("Idempotency-Key") }

func (h *api) create(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OrderID    string       `json:"order_id"`
		CustomerID string       `json:"customer_id"`
		Currency   string       `json:"currency"`
		Lines      []order.Line `json:"lines"`
	}
	if err := decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.a.Orders.Create(r.Context(), key(r), req.OrderID, req.CustomerID, req.Lines, req.Currency)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.reply(w, http.StatusCreated, o)
}

func (h *api) pay(w http.ResponseWriter, r *http.Request) {
	var req struct {
		PaymentID   string `json:"payment_id"`
		AmountCents int64  `json:"amount_cents"`
		Method      string `json:"method"`
	}
	if err := decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Method == "" {
		req.Method = string(events.PaymentMethodCard)
	}
	method, err := events.ParsePaymentMethod(req.Method)
	if err != nil {
		h.fail(w, r, fmt.Errorf("%w: %v", order.ErrInvalid, err))
		return
	}
	o, err := h.a.Orders.Pay(r.Context(), key(r), r.PathValue("id"), req.PaymentID, req.AmountCents, method)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.reply(w, http.StatusOK, o)
}

func (h *api) ship(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Carrier  string `json:"carrier"`
		Tracking string `json:"tracking_number"`
	}
	if err := decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.a.Orders.Ship(r.Context(), key(r), r.PathValue("id"), req.Carrier, req.Tracking)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.reply(w, http.StatusOK, o)
}

func (h *api) cancel(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.a.Orders.Cancel(r.Context(), key(r), r.PathValue("id"), req.Reason)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.reply(w, http.StatusOK, o)
}

func (h *api) get(w http.ResponseWriter, r *http.Request) {
	v, err := h.a.Order(r.Context(), r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.write(w, http.StatusOK, v)
}

func (h *api) list(w http.ResponseWriter, r *http.Request) {
	status := r.URL.Query().Get("status")
	switch order.Status(status) {
	case "", order.StatusCreated, order.StatusPaid, order.StatusShipped, order.StatusCancelled:
	default:
		h.fail(w, r, fmt.Errorf("%w: status %q: want created, paid, shipped or cancelled", order.ErrInvalid, status))
		return
	}
	vs, err := h.a.OrdersView(r.Context(), status)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if vs == nil {
		vs = []OrderView{}
	}
	h.write(w, http.StatusOK, vs)
}

type projectionStatus struct {
	Name        string  `json:"name"`
	Version     int     `json:"version"`
	Checkpoint  string  `json:"checkpoint"`
	Head        string  `json:"head"`
	LagEvents   int64   `json:"lag_events"`
	LagSeconds  float64 `json:"lag_seconds"`
	Owner       string  `json:"owner,omitempty"`
	Leased      bool    `json:"leased"`
	DeadLetters int     `json:"dead_letters"`
}

func (h *api) projections(w http.ResponseWriter, r *http.Request) {
	out := []projectionStatus{}
	for _, p := range h.a.Projections {
		st, err := p.Status(r.Context())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		out = append(out, projectionStatus{
			Name: st.Projection, Version: st.Version, Checkpoint: st.Checkpoint.String(), Head: st.Head.String(),
			LagEvents: st.LagEvents, LagSeconds: st.Lag.Seconds(), Owner: st.Owner, Leased: st.Leased, DeadLetters: st.DeadLetters,
		})
	}
	h.write(w, http.StatusOK, out)
}

func (h *api) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := h.a.Store.Head(ctx); err != nil {
		h.write(w, http.StatusServiceUnavailable, errorBody{Error: "event store unavailable: " + err.Error()})
		return
	}
	h.write(w, http.StatusOK, map[string]string{"status": "ok", "store": h.a.Backend})
}
