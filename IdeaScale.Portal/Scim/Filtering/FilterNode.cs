using System.Globalization;

namespace IdeaScale.Portal.Scim.Filtering;

/// <summary>
/// A parsed SCIM filter (RFC 7644 §3.4.2.2). The node types are a closed set (the constructor is private
/// protected, so only the sealed records below derive from it): <see cref="CompareNode"/>, <see cref="PresentNode"/>,
/// <see cref="AndNode"/>, <see cref="OrNode"/>, <see cref="NotNode"/> and <see cref="ValuePathNode"/>.
/// Consumers switch over exactly these; C# cannot prove such a switch exhaustive, so the discard arm throws
/// <see cref="System.Diagnostics.UnreachableException"/> and FilterNodeSetTests fails when a type is added.
/// </summary>
public abstract record FilterNode
{
    private protected FilterNode()
    {
    }
}

/// <summary>
/// An attribute path: <c>userName</c>, <c>name.givenName</c>,
/// <c>urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value</c>. Inside a valuePath filter
/// (<c>emails[type eq "work"]</c>) the path is relative to the complex attribute: <c>Name</c> is a sub-attribute.
/// </summary>
public sealed record AttrPath(string? SchemaUrn, string Name, string? SubAttribute)
{
    /// <summary>The path text, in the form <see cref="Schema.ScimResourceType.Resolve"/> accepts.</summary>
    public override string ToString()
    {
        var local = SubAttribute is null ? Name : $"{Name}.{SubAttribute}";
        return SchemaUrn is null ? local : $"{SchemaUrn}:{local}";
    }
}

/// <summary>RFC 7644 §3.4.2.2 Table 3 comparison operators (pr is <see cref="PresentNode"/>).</summary>
public enum CompareOp
{
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// <summary>A comparison literal (RFC 7644 compValue): a JSON string, number, true/false or null. Closed set.</summary>
public abstract record FilterLiteral
{
    private protected FilterLiteral()
    {
    }
}

public sealed record StringLiteral(string Value) : FilterLiteral
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // display only, never HTML
    };

    public override string ToString() => System.Text.Json.JsonSerializer.Serialize(Value, Json);
}

/// <summary>A JSON number.</summary>
public sealed record NumberLiteral(decimal Value) : FilterLiteral
{
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

public sealed record BooleanLiteral(bool Value) : FilterLiteral
{
    public override string ToString() => Value ? "true" : "false";
}

public sealed record NullLiteral : FilterLiteral
{
    public static NullLiteral Instance { get; } = new();

    public override string ToString() => "null";
}

/// <summary><c>attrPath compareOp compValue</c>.</summary>
public sealed record CompareNode(AttrPath Path, CompareOp Op, FilterLiteral Value) : FilterNode
{
    public override string ToString() => $"{Path} {Op.ToString().ToLowerInvariant()} {Value}";
}

/// <summary><c>attrPath pr</c>.</summary>
public sealed record PresentNode(AttrPath Path) : FilterNode
{
    public override string ToString() => $"{Path} pr";
}

public sealed record AndNode(FilterNode Left, FilterNode Right) : FilterNode
{
    public override string ToString() => $"({Left} and {Right})";
}

public sealed record OrNode(FilterNode Left, FilterNode Right) : FilterNode
{
    public override string ToString() => $"({Left} or {Right})";
}

public sealed record NotNode(FilterNode Inner) : FilterNode
{
    public override string ToString() => $"not ({Inner})";
}

/// <summary>
/// <c>attrPath[valFilter]</c>: some value of the (multi-valued) complex attribute at <see cref="Path"/> matches
/// <see cref="Filter"/>, whose paths are relative to that attribute. Entra's
/// <c>emails[type eq "work"].value eq "x"</c> parses to <c>emails[type eq "work" and value eq "x"]</c>.
/// </summary>
public sealed record ValuePathNode(AttrPath Path, FilterNode Filter) : FilterNode
{
    public override string ToString() => $"{Path}[{Filter}]";
}

/// <summary>
/// A parsed PATCH path (RFC 7644 §3.5.2, <c>PATH = attrPath / valuePath [subAttr]</c>).
/// <list type="bullet">
/// <item><c>name.givenName</c>: Attribute = (null, "name", "givenName"), no filter, SubAttribute null.</item>
/// <item><c>members[value eq "x"]</c>: Attribute = (null, "members", null), ValueFilter set, SubAttribute null.</item>
/// <item><c>emails[type eq "work"].value</c>: Attribute = (null, "emails", null), ValueFilter set, SubAttribute "value".</item>
/// </list>
/// <see cref="SubAttribute"/> is only set together with <see cref="ValueFilter"/>; with a filter,
/// <c>Attribute.SubAttribute</c> is always null.
/// </summary>
public sealed record PatchPath(AttrPath Attribute, FilterNode? ValueFilter, string? SubAttribute)
{
    public override string ToString() =>
        ValueFilter is null ? Attribute.ToString() : $"{Attribute}[{ValueFilter}]{(SubAttribute is null ? "" : "." + SubAttribute)}";
}
