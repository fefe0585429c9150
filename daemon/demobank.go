package daemon

import (
	"encoding/json"
	"net/http"
	"strings"
)

// DemoBank is the small bank back end that `ivrd demo` and `ivrd call --digits` serve so the
// shipped hotline flow works out of the box: its lookups call
// GET /demo/crm/customers?number=N (who is calling) and POST /demo/bank/balance (the balance).
// The data is fixed and printed by the demo (see DemoCustomers and DemoAccounts).
type DemoBank struct{}

// DemoCustomer is a caller the demo CRM knows.
type DemoCustomer struct {
	Number    string  `json:"-"`
	ID        string  `json:"id"`
	FirstName string  `json:"first_name"`
	VIP       bool    `json:"vip"`
	Balance   float64 `json:"-"`
}

// DemoCustomers are the callers the demo CRM knows (by caller number).
var DemoCustomers = []DemoCustomer{
	{Number: "+12125550101", ID: "C1001", FirstName: "Alice", VIP: true, Balance: 25310.75},
	{Number: "+12125550102", ID: "C1002", FirstName: "Bob", Balance: 842.10},
}

// DemoAccounts are account numbers any caller may type, with their balances.
var DemoAccounts = map[string]float64{"12345678": 1234.56, "87654321": 50}

// DemoBankPattern is where the demo bank is mounted.
const DemoBankPattern = "/demo/"

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func demoCustomerBy(match func(DemoCustomer) bool) (DemoCustomer, bool) {
	for _, c := range DemoCustomers {
		if match(c) {
			return c, true
		}
	}
	return DemoCustomer{}, false
}

// ServeHTTP implements http.Handler.
func (DemoBank) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/demo/crm/customers":
		n := digitsOnly(r.URL.Query().Get("number"))
		c, ok := demoCustomerBy(func(c DemoCustomer) bool { return n != "" && digitsOnly(c.Number) == n })
		if !ok {
			reply(http.StatusNotFound, map[string]string{"error": "no customer with that number"})
			return
		}
		reply(http.StatusOK, map[string]any{"customer": c})
	case r.Method == http.MethodPost && r.URL.Path == "/demo/bank/balance":
		var req struct{ Customer, Account, Caller string }
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
			reply(http.StatusBadRequest, map[string]string{"error": "want JSON {customer, account, caller}: " + err.Error()})
			return
		}
		bal, ok := DemoAccounts[req.Account]
		if req.Customer != "" {
			var c DemoCustomer
			c, ok = demoCustomerBy(func(c DemoCustomer) bool { return c.ID == req.Customer })
			bal = c.Balance
		}
		if !ok {
			reply(http.StatusNotFound, map[string]string{"error": "no such account"})
			return
		}
		reply(http.StatusOK, map[string]any{"account": map[string]any{"balance": bal, "currency": "USD"}})
	default:
		reply(http.StatusNotFound, map[string]string{"error": "the demo bank has GET /demo/crm/customers?number=N and POST /demo/bank/balance"})
	}
}
