package schemas_test

import (
	"fmt"

	"github.com/wahook/wahook/schemas"
)

// Validate a payload against the format of whichever provider its envelope names.
func Example() {
	v, err := schemas.New(schemas.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	body := []byte(`{"id":"1","type":"whatsapp_mo_message_received","eventTime":"2023-02-22T12:00:00.000Z",
	"body":{"id":"1","accountName":"IW1","wabaId":"W","wamid":"wamid.1","from":"86100","to":"86200",
	"sendTime":"2023-02-22T12:00:00.000Z","customerProfile":{"name":"Jack"},"type":"location",
	"location":{"latitude":true,"longitude":116.39,"name":"n","address":"a"}}}`)
	p, _ := schemas.Detect(body)
	report, err := v.Validate(schemas.Auto, body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p)
	for _, violation := range report.Violations {
		fmt.Println(violation.Instance, violation.Message)
	}
	// Output:
	// innopaas
	// /body/location/latitude expected string or number, got boolean
}
