using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Filtering;

/// <summary>
/// Evaluates a valuePath filter (<c>emails[type eq "work"]</c>, <c>members[value eq "id"]</c>) against ONE value of
/// a multi-valued complex attribute of a single resource. The PATCH engine uses it to pick the values an operation
/// targets. Listing never uses it: list filters become SQL through <see cref="FilterTranslator"/>.
/// Paths in the filter are sub-attribute names of the complex attribute; the same type and caseExact rules as
/// the translator apply (<see cref="FilterRules"/>), and violations throw 400 invalidFilter.
/// </summary>
public static class FilterEvaluator
{
    /// <summary>Whether <paramref name="element"/> (one value of <paramref name="complexAttribute"/>) matches.</summary>
    /// <exception cref="ScimException">400 invalidFilter for an unknown sub-attribute or a type mismatch.</exception>
    public static bool Matches(FilterNode filter, JsonObject element, ScimAttribute complexAttribute)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(element);
        ArgumentNullException.ThrowIfNull(complexAttribute);
        return Eval(filter, element, complexAttribute);
    }

    private static bool Eval(FilterNode node, JsonObject element, ScimAttribute complex) => node switch
    {
        AndNode and => Eval(and.Left, element, complex) & Eval(and.Right, element, complex), // both sides validated
        OrNode or => Eval(or.Left, element, complex) | Eval(or.Right, element, complex),
        NotNode not => !Eval(not.Inner, element, complex),
        PresentNode present => IsPresent(Value(element, Sub(present.Path, complex))),
        CompareNode compare => Compare(compare, element, complex),
        ValuePathNode valuePath => throw ScimException.InvalidFilter(
            $"A value filter on '{complex.Name}' cannot contain another value filter ('{valuePath.Path}[...]')."),
        _ => throw new UnreachableException($"Unhandled filter node {node.GetType().Name}."),
    };

    private static ScimAttribute Sub(AttrPath path, ScimAttribute complex)
    {
        if (path.SchemaUrn is not null || path.SubAttribute is not null)
        {
            throw ScimException.InvalidFilter(
                $"Inside a value filter on '{complex.Name}', name a sub-attribute of it (such as 'value'), not '{path}'.");
        }

        return complex.SubAttribute(path.Name) ?? throw ScimException.InvalidFilter(
            $"'{path.Name}' is not a sub-attribute of '{complex.Name}'.");
    }

    private static JsonNode? Value(JsonObject element, ScimAttribute sub)
    {
        foreach (var (key, value) in element)
        {
            if (string.Equals(key, sub.Name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    private static bool IsPresent(JsonNode? value) => value switch
    {
        null => false,
        JsonArray array => array.Count > 0,
        JsonObject obj => obj.Count > 0,
        JsonValue v => v.GetValueKind() != JsonValueKind.String || v.GetValue<string>().Length > 0,
        _ => true,
    };

    private static bool Compare(CompareNode node, JsonObject element, ScimAttribute complex)
    {
        var sub = Sub(node.Path, complex);
        var value = Value(element, sub);
        if (node.Value is NullLiteral)
        {
            return node.Op switch
            {
                CompareOp.Eq => !IsPresent(value),
                CompareOp.Ne => IsPresent(value),
                _ => throw ScimException.InvalidFilter($"null can only be compared with eq or ne ('{node}')."),
            };
        }

        var operand = FilterRules.Operand(sub, node.Op, node.Value, node.Path);
        if (value is not JsonValue jsonValue)
        {
            // Unassigned: only "ne" holds (the value is not equal to anything).
            return node.Op == CompareOp.Ne;
        }

        var comparison = operand switch
        {
            string s => CompareStrings(jsonValue, s, sub.CaseExact, node.Op),
            bool b => ReadBoolean(jsonValue) is { } actual ? (actual == b ? 0 : 1) : (int?)null,
            decimal d => ReadDecimal(jsonValue) is { } n ? n.CompareTo(d) : null,
            DateTime t => ReadString(jsonValue) is { } text && FilterRules.ParseDateTime(text) is { } when ? when.CompareTo(t) : null,
            _ => null,
        };

        if (comparison is null)
        {
            // A stored value of another type (or a co/sw/ew miss): it equals nothing.
            return node.Op == CompareOp.Ne;
        }

        return node.Op switch
        {
            CompareOp.Eq or CompareOp.Co or CompareOp.Sw or CompareOp.Ew => comparison == 0,
            CompareOp.Ne => comparison != 0,
            CompareOp.Gt => comparison > 0,
            CompareOp.Ge => comparison >= 0,
            CompareOp.Lt => comparison < 0,
            CompareOp.Le => comparison <= 0,
            _ => throw new UnreachableException($"Unhandled operator {node.Op}."),
        };
    }

    /// <summary>0 when the operator's string test holds (for co/sw/ew) or the ordinal comparison otherwise.</summary>
    private static int? CompareStrings(JsonValue value, string operand, bool caseExact, CompareOp op)
    {
        var actual = ReadString(value);
        if (actual is null)
        {
            return null;
        }

        var comparison = caseExact ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        return op switch
        {
            CompareOp.Co => actual.Contains(operand, comparison) ? 0 : null,
            CompareOp.Sw => actual.StartsWith(operand, comparison) ? 0 : null,
            CompareOp.Ew => actual.EndsWith(operand, comparison) ? 0 : null,
            _ => string.Compare(actual, operand, comparison),
        };
    }

    private static string? ReadString(JsonValue value) =>
        value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    /// <summary>A JSON boolean, or Entra's "True"/"False" strings.</summary>
    private static bool? ReadBoolean(JsonValue value) => value.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String when bool.TryParse(value.GetValue<string>(), out var parsed) => parsed,
        _ => null,
    };

    private static decimal? ReadDecimal(JsonValue value) => value.GetValueKind() switch
    {
        JsonValueKind.Number when value.TryGetValue<decimal>(out var d) => d,
        JsonValueKind.Number when decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };
}
