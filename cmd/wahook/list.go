package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wahook/wahook/internal/valueclass"
	"github.com/wahook/wahook/mockprovider"
	"github.com/wahook/wahook/schemas"
)

// listOptions is what the list command line asks for.
type listOptions struct {
	what     string // one of listables
	provider string // all or one of schemas.Providers
	output   string // text or json
}

// listables are the catalogues list prints.
var listables = []string{"types", "mutations", "values"}

func newListCmd() *cobra.Command {
	opts := listOptions{provider: allValues, output: "text"}
	cmd := &cobra.Command{
		Use:   "list types|mutations|values [flags]",
		Short: "Print the message types, the mutation catalogue or the value classes",
		Long: `List prints a catalogue wahook generates from.

  types      every message type of each provider
  mutations  every mutation gen --malformed applies: its id, what a receiver should do with the
             result (reject or tolerate), what the provider's schema says about it, the message
             types it applies to, and what it does; the named mutations first, then those derived
             from the schema (systematic)
  values     the value classes the conformance suite carries in every field the schema allows them
             in: their family, an example, and the misreading each exposes (see conform --coverage)`,
		Example: `  wahook list types
  wahook list mutations --provider itniotech
  wahook list mutations --output json
  wahook list values`,
		ValidArgs: listables,
		Args: func(_ *cobra.Command, args []string) error {
			want := strings.Join(listables[:len(listables)-1], ", ") + " or " + listables[len(listables)-1]
			switch {
			case len(args) == 0:
				return fmt.Errorf("list: what to list? want %s", want)
			case len(args) > 1:
				return fmt.Errorf("list: one catalogue at a time, got %d arguments (want %s)", len(args), want)
			case !slices.Contains(listables, args[0]):
				return fmt.Errorf("list: unknown catalogue %q (want %s)", args[0], want)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.what = args[0]
			return runList(opts, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.provider, "provider", opts.provider, "provider: all or one of "+fmt.Sprint(schemas.Providers()))
	f.StringVarP(&opts.output, "output", "o", opts.output, "output format: text or json")
	mustRegister(cmd.RegisterFlagCompletionFunc("provider", cobra.FixedCompletions(providerChoices(), cobra.ShellCompDirectiveNoFileComp)))
	mustRegister(cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp)))
	return cmd
}

// typeRow is one message type, as list types --output json prints it.
type typeRow struct {
	Provider schemas.Provider `json:"provider"`
	Type     string           `json:"type"`
}

// mutationRow is one mutation, as list mutations --output json prints it.
type mutationRow struct {
	Provider    schemas.Provider           `json:"provider"`
	ID          string                     `json:"id"`
	Expect      mockprovider.Expectation   `json:"expect"`
	Schema      mockprovider.SchemaVerdict `json:"schema"`
	Systematic  bool                       `json:"systematic"`
	Types       []string                   `json:"types"` // every type it applies to
	Description string                     `json:"description"`
}

func runList(opts listOptions, stdout io.Writer) error {
	selected, err := parseProviders(opts.provider)
	if err != nil {
		return err
	}
	if !slices.Contains(outputFormats, opts.output) {
		return fmt.Errorf("--output: unknown format %q (want text or json)", opts.output)
	}
	var providers []*mockprovider.Provider
	for _, p := range mockprovider.Providers() {
		if selected == nil || slices.Contains(selected, p.Name) {
			providers = append(providers, p)
		}
	}

	switch opts.what {
	case "types":
		list := []typeRow{}
		for _, p := range providers {
			for _, t := range p.Types() {
				list = append(list, typeRow{p.Name, t})
			}
		}
		return printRows(stdout, opts.output, list, "PROVIDER\tTYPE", func(r typeRow) string {
			return fmt.Sprintf("%s\t%s", r.Provider, r.Type)
		})
	case "values":
		return printRows(stdout, opts.output, valueclass.All(), "FAMILY\tCLASS\tEXAMPLE\tEXPOSES", func(c valueclass.Class) string {
			return fmt.Sprintf("%s\t%s\t%s\t%s", c.Family, c.Name, c.Example, c.Exposes)
		})
	default: // mutations
		list := []mutationRow{}
		allTypes := map[schemas.Provider]int{}
		for _, p := range providers {
			muts, err := mockprovider.Mutations(p.Name)
			if err != nil {
				return err
			}
			// The catalogue lists the named mutations first; keep that even if it changes.
			slices.SortStableFunc(muts, func(a, b mockprovider.Mutation) int {
				return boolOrder(a.Systematic) - boolOrder(b.Systematic)
			})
			allTypes[p.Name] = len(p.Types())
			for _, m := range muts {
				types := slices.DeleteFunc(p.Types(), func(t string) bool { return !m.AppliesTo(t) })
				list = append(list, mutationRow{p.Name, m.ID, m.Expect, m.Schema, m.Systematic, types, m.Description})
			}
		}
		return printRows(stdout, opts.output, list, "PROVIDER\tID\tEXPECT\tSCHEMA\tTYPES\tDESCRIPTION", func(r mutationRow) string {
			types := strings.Join(r.Types, ",")
			if len(r.Types) == allTypes[r.Provider] {
				types = allValues
			}
			return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", r.Provider, r.ID, r.Expect, r.Schema, types, r.Description)
		})
	}
}

// printRows writes rows as one indented JSON array, or as aligned columns under header.
func printRows[R any](w io.Writer, output string, rows []R, header string, line func(R) string) error {
	if output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(rows); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, line(r))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

func boolOrder(b bool) int {
	if b {
		return 1
	}
	return 0
}
