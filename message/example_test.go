package message_test

import (
	"fmt"

	"github.com/wahook/wahook/fixtures"
	"github.com/wahook/wahook/message"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// A receiver that reads ITNIO's coordinates as numbers only, and drops the location's name, answers
// 200 all the same; comparing what it stored with what was sent shows both.
func Example() {
	body, err := fixtures.Read("documented/itniotech/location.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	sent, err := mockprovider.Parse(schemas.ITNIOTech, body)
	if err != nil {
		fmt.Println(err)
		return
	}
	stored := sent
	stored.Location = &message.Location{Address: sent.Location.Address}
	for _, d := range message.Diff(sent, stored, nil) {
		fmt.Println(d)
	}
	// Output:
	// /location/latitude: sent 22.636734008789, receiver has 0
	// /location/longitude: sent 114.05695343018, receiver has 0
	// /location/name: sent "Southern Cinema", receiver has nothing
}
