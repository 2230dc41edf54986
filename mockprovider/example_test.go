package mockprovider_test

import (
	"fmt"

	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// Generate a valid webhook and a deliberately malformed one; the same seed and index give the same
// bytes on every run.
func Example() {
	g, err := mockprovider.New(mockprovider.Options{Seed: 42})
	if err != nil {
		fmt.Println(err)
		return
	}
	valid, err := g.Generate(schemas.InnoPaaS, "location", 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	broken, _, err := g.GenerateMutated(schemas.InnoPaaS, "location", 0, "truncated-json")
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := schemas.New(schemas.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range []mockprovider.Payload{valid, broken} {
		report, err := v.Validate(schemas.InnoPaaS, p.Body)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: valid %t\n", p.Type, report.Valid())
	}
	// Output:
	// location: valid true
	// location: valid false
}

// A provider's Auth says how its webhooks carry the customer's credentials: InnoPaaS sends them
// verbatim in two headers of its own naming.
func ExampleTarget_Headers() {
	target := mockprovider.Target{
		Provider:    schemas.InnoPaaS,
		Credentials: mockprovider.Credentials{User: "acme", Token: "Bearer s3cret"},
	}
	h, err := target.Headers("v1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(h["UserName"], h["Authorization"], h["User-Agent"])
	// Output:
	// [acme] [Bearer s3cret] [wahook/v1 (+https://github.com/wahook/wahook)]
}
