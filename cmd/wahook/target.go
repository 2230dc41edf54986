package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/wahook/wahook/internal/engine"
	"github.com/wahook/wahook/internal/headerline"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// targetFlags are the delivery settings of every command that delivers (send, serve, conform, fuzz),
// under the same flag names in each: they become one mockprovider.Target.
type targetFlags struct {
	url, provider string
	user, token   string
	secret        string   // a signing provider's app secret
	headers       []string // -H/--header lines, "Name: value"
	authHeaders   []string // the same, under conform's and fuzz's old spelling --auth-header
	timeout       time.Duration
	caFile        string
	insecure      bool
}

// targetUsage is what the target flags mean to one command.
type targetUsage struct {
	url, provider, header string
}

// addTargetFlags registers the target flags on cmd, with the old spelling --auth-header as a hidden
// alias of --header for one release.
func addTargetFlags(cmd *cobra.Command, t *targetFlags, usage targetUsage) {
	f := cmd.Flags()
	f.StringVar(&t.url, "target", "", usage.url)
	f.StringVar(&t.provider, "provider", "", usage.provider+": one of "+fmt.Sprint(schemas.Providers()))
	f.StringVar(&t.user, "auth-user", "", "the customer-configured user the provider sends verbatim (InnoPaaS: the UserName header)")
	f.StringVar(&t.token, "auth-token", "", "the customer-configured token the provider sends verbatim (InnoPaaS: the Authorization header)")
	f.StringVar(&t.secret, "app-secret", "", "the secret a signing provider keys each body's signature with (Meta: X-Hub-Signature-256); never sent")
	f.StringArrayVarP(&t.headers, "header", "H", nil, usage.header)
	// A value of its own: pflag would let the second of two flags sharing a slice replace the first's.
	f.StringArrayVar(&t.authHeaders, "auth-header", nil, "old spelling of --header")
	mustRegister(f.MarkHidden("auth-header"))
	t.timeout = engine.DefaultTimeout
	f.DurationVar(&t.timeout, "timeout", t.timeout, "bound on each request")
	f.StringVar(&t.caFile, "ca-file", "", "PEM certificates to trust for an https target (instead of the system's)")
	f.BoolVar(&t.insecure, "insecure", false, "do not verify the https target's certificate")
	mustRegister(cmd.MarkFlagFilename("ca-file", "pem", "crt", "cer"))
	mustRegister(cmd.RegisterFlagCompletionFunc("provider", cobra.FixedCompletions(providerNames(), cobra.ShellCompDirectiveNoFileComp)))
}

// refuseEmptyCredentials refuses --auth-user, --auth-token, --app-secret or --verify-token given as "": unset credentials are "",
// so only the command line can tell an explicitly empty one apart, and it cannot be got wrong.
func refuseEmptyCredentials(cmd *cobra.Command) error {
	for _, name := range []string{"auth-user", "auth-token", "app-secret", "verify-token"} {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed && f.Value.String() == "" {
			return fmt.Errorf("--%s: the value is empty", name)
		}
	}
	return nil
}

// target turns the flags into a Target. The provider may be left out only where the command says
// (wahook serve without a timer); the rest is checked by the library, whose refusals flagError names
// by flag.
func (t targetFlags) target() (mockprovider.Target, error) {
	var p schemas.Provider
	if t.provider != "" {
		var err error
		if p, err = schemas.ParseProvider(t.provider, false); err != nil {
			return mockprovider.Target{}, fmt.Errorf("--provider: %w", err)
		}
	}
	// Names as spelled (a receiver may compare them byte for byte); a name repeated in any letter case
	// is one header with every value, in order. Whether they can be sent, with the credentials, is the
	// library's to check.
	header, err := headerline.All(append(append([]string(nil), t.headers...), t.authHeaders...))
	if err != nil {
		return mockprovider.Target{}, fmt.Errorf("--header: %w", err)
	}
	return mockprovider.Target{
		URL: t.url, Provider: p, Header: header, Timeout: t.timeout,
		Credentials: mockprovider.Credentials{User: t.user, Token: t.token, Secret: t.secret},
		TLS:         mockprovider.TLS{CAFile: t.caFile, Insecure: t.insecure},
	}, nil
}

// flagNames names the flag that sets each field the libraries may refuse with a *engine.FieldError,
// for every command: what the commands share, they name alike. The engine's own field names (Target,
// CAFile, Insecure) stand beside Target's for refusals that come from engine.New.
var flagNames = map[string]string{
	"URL": "--target", "Target": "--target", "Provider": "--provider",
	"Credentials.User": "--auth-user", "Credentials.Token": "--auth-token", "Credentials.Secret": "--app-secret", "Header": "--header",
	"Timeout": "--timeout", "TLS.CAFile": "--ca-file", "CAFile": "--ca-file",
	"TLS.Insecure": "--insecure", "Insecure": "--insecure",
	"Workers": "--workers", "TimeScale": "--time-scale", "Rate": "--rate", "Duplicates": "--duplicates",
	"Retries": "--retries", "Duration": "--duration", "MinimiseBudget": "--minimise-budget",
	"MaxFindings": "--max-findings", "Out": "--out", "Profile": "--profile", "Run": "--run",
	"Quirks": "--quirks", "MediaBaseURL": "--media-base-url",
	"InspectURL": "--inspect", "InspectTimeout": "--inspect-timeout", "Ignore": "--ignore",
	"Batch": "--batch", "Events": "--events", "Concurrency": "--concurrency", "MaxFailures": "--max-failures", "Budget": "--budget", "Corpus": "--corpus",
}

// flagError reports a library's refusal of one field under the name of the flag that set it. Other
// errors, and fields no flag sets, are returned as they are.
func flagError(err error) error {
	var fe *engine.FieldError
	if errors.As(err, &fe) {
		if flag := flagNames[fe.Field]; flag != "" {
			err = fmt.Errorf("%s: %w", flag, fe.Err)
		}
	}
	if errors.Is(err, mockprovider.ErrUnknownMutation) {
		err = fmt.Errorf("%w; wahook list mutations lists them", err)
	}
	return err
}
