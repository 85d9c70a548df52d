using System.Globalization;

using IdeaScale.Portal.Scim.Errors;
using IdeaScale.Portal.Scim.Schema;

namespace IdeaScale.Portal.Scim.Filtering;

/// <summary>
/// The schema check shared by <see cref="FilterTranslator"/> and <see cref="FilterEvaluator"/> (STYLE habit 3:
/// fail closed). Which operators fit which RFC 7643 §2.3 type, and which literal each type takes:
/// <list type="table">
/// <item><term>string, reference</term><description>every operator; a string literal.</description></item>
/// <item><term>binary</term><description>eq, ne; a string literal (RFC 7644: gt/ge/lt/le on binary is invalidFilter).</description></item>
/// <item><term>boolean</term><description>eq, ne; true or false (RFC 7644: gt/ge/lt/le on boolean is invalidFilter).</description></item>
/// <item><term>dateTime</term><description>eq, ne, gt, ge, lt, le; a string holding an xsd:dateTime.</description></item>
/// <item><term>integer, decimal</term><description>eq, ne, gt, ge, lt, le; a number.</description></item>
/// </list>
/// <c>null</c> is accepted with eq (meaning "not present") and ne ("present") only; callers rewrite those to pr.
/// </summary>
internal static class FilterRules
{
    private static readonly string[] DateTimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
    ];

    /// <summary>
    /// Resolves a filter or sortBy path through the registry. Named quirk (Entra ID): extension attributes arrive
    /// without their schema URN (<c>manager eq "id"</c>, <c>department eq "x"</c>). A path the core schema does
    /// not define resolves to the extension attribute of that name when exactly one extension defines it.
    /// </summary>
    public static ResolvedPath? Resolve(ScimResourceType type, AttrPath path) => Resolve(type, path.ToString());

    /// <inheritdoc cref="Resolve(ScimResourceType, AttrPath)"/>
    public static ResolvedPath? Resolve(ScimResourceType type, string path)
    {
        var resolved = type.Resolve(path);
        if (resolved?.Attribute is not null || path.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
        {
            return resolved;
        }

        var candidates = type.Extensions
            .Select(e => type.Resolve($"{e.Id}:{path}"))
            .Where(r => r?.Attribute is not null)
            .ToList();
        return candidates.Count == 1 ? candidates[0] : null;
    }

    public static ScimException Unknown(AttrPath path) =>
        ScimException.InvalidFilter($"The filter names an unknown attribute '{path}'.");

    public static ScimException NotFilterable(AttrPath path) =>
        ScimException.InvalidFilter($"The attribute '{path}' cannot be used in a filter.");

    /// <summary>
    /// Checks that <paramref name="op"/> and <paramref name="literal"/> fit <paramref name="attribute"/>'s type and
    /// returns the typed operand: <see cref="string"/>, <see cref="bool"/>, <see cref="decimal"/>, or a UTC
    /// <see cref="DateTime"/>.
    /// </summary>
    public static object Operand(ScimAttribute attribute, CompareOp op, FilterLiteral literal, AttrPath path)
    {
        var opName = op.ToString().ToLowerInvariant();
        switch (attribute.Type)
        {
            case AttributeType.String or AttributeType.Reference:
                return literal is StringLiteral s ? s.Value : throw WrongLiteral(path, "a string in double quotes", literal);
            case AttributeType.Binary:
                RequireOp(op is CompareOp.Eq or CompareOp.Ne, path, opName, "binary");
                return literal is StringLiteral b ? b.Value : throw WrongLiteral(path, "a string in double quotes", literal);
            case AttributeType.Boolean:
                RequireOp(op is CompareOp.Eq or CompareOp.Ne, path, opName, "boolean");
                return literal is BooleanLiteral flag ? flag.Value : throw WrongLiteral(path, "true or false", literal);
            case AttributeType.DateTime:
                RequireOp(op is not (CompareOp.Co or CompareOp.Sw or CompareOp.Ew), path, opName, "dateTime");
                if (literal is not StringLiteral text)
                {
                    throw WrongLiteral(path, "a dateTime string such as \"2026-01-31T12:00:00Z\"", literal);
                }

                return ParseDateTime(text.Value) ?? throw ScimException.InvalidFilter(
                    $"'{path}' is a dateTime; {literal} is not a valid xsd:dateTime such as \"2026-01-31T12:00:00Z\".");
            case AttributeType.Integer or AttributeType.Decimal:
                RequireOp(op is not (CompareOp.Co or CompareOp.Sw or CompareOp.Ew), path, opName, attribute.Type.ToString().ToLowerInvariant());
                if (literal is not NumberLiteral number)
                {
                    throw WrongLiteral(path, "a number", literal);
                }

                if (attribute.Type == AttributeType.Integer && decimal.Truncate(number.Value) != number.Value)
                {
                    throw WrongLiteral(path, "an integer", literal);
                }

                return number.Value;
            case AttributeType.Complex:
                throw ScimException.InvalidFilter($"'{path}' is a complex attribute; compare one of its sub-attributes instead.");
            default:
                throw NotFilterable(path);
        }
    }

    /// <summary>Parses an xsd:dateTime (RFC 7643 §2.3.5); a value without an offset is taken as UTC.</summary>
    public static DateTime? ParseDateTime(string text) =>
        DateTimeOffset.TryParseExact(text, DateTimeFormats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
            ? value.UtcDateTime
            : null;

    private static void RequireOp(bool ok, AttrPath path, string op, string type)
    {
        if (!ok)
        {
            throw ScimException.InvalidFilter($"The operator '{op}' cannot be used with '{path}', which is a {type}.");
        }
    }

    private static ScimException WrongLiteral(AttrPath path, string expected, FilterLiteral literal) =>
        ScimException.InvalidFilter($"'{path}' must be compared with {expected}, not {literal}.");
}
