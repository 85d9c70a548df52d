using System.Linq.Expressions;

namespace IdeaScale.Portal.Scim.Schema;

/// <summary>RFC 7643 §2.3 attribute data types.</summary>
public enum AttributeType
{
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

/// <summary>RFC 7643 §7 "mutability".</summary>
public enum Mutability
{
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

/// <summary>RFC 7643 §7 "returned".</summary>
public enum Returned
{
    Always,
    Never,
    Default,
    Request,
}

/// <summary>RFC 7643 §7 "uniqueness".</summary>
public enum Uniqueness
{
    None,
    Server,
    Global,
}

/// <summary>
/// Where an attribute's value lives. The mappers, the filter translator and the PATCH engine switch on this,
/// never on attribute names.
/// </summary>
public enum Storage
{
    /// <summary>A column of the resource entity (<see cref="ScimAttribute.Column"/>), or, for a sub-attribute of a
    /// multi-valued attribute, a column of its row entity (<see cref="MemberValue"/> or <see cref="MemberAddress"/>).</summary>
    Column,

    /// <summary>A single-valued complex attribute whose sub-attributes are columns of the resource (name).</summary>
    Inline,

    /// <summary>A multi-valued complex attribute stored as <see cref="MemberValue"/> rows of <see cref="ScimAttribute.RowKind"/>.</summary>
    ValueRows,

    /// <summary>addresses, stored as <see cref="MemberAddress"/> rows.</summary>
    AddressRows,

    /// <summary>Enterprise manager: the reference as sent (ManagerValue), linked to another member of the workspace
    /// (ManagerId) when it is that member's id.</summary>
    Manager,

    /// <summary>A user's groups: derived from group membership rows, read-only. Sub-attribute columns are over
    /// <see cref="GroupMembership"/> rows whose MemberId is the user.</summary>
    GroupsOfUser,

    /// <summary>A group's members: membership rows keyed by (group, member), written as set deltas. Sub-attribute
    /// columns are over <see cref="GroupMembership"/> rows whose GroupId is the group.</summary>
    MembersOfGroup,

    /// <summary>password: hashed on write, never returned.</summary>
    Password,

    /// <summary>meta: computed from created, lastModified, version and the workspace URL.</summary>
    Meta,
}

/// <summary>
/// One row of the attribute registry: the RFC 7643 §7 characteristics of an attribute, plus where it is stored.
/// Discovery (/Schemas), the mappers, the filter translator and the PATCH engine all read these rows.
/// </summary>
public sealed record ScimAttribute
{
    public required string Name { get; init; }
    public AttributeType Type { get; init; } = AttributeType.String;
    public bool MultiValued { get; init; }
    public bool Required { get; init; }
    public bool CaseExact { get; init; }
    public Mutability Mutability { get; init; } = Mutability.ReadWrite;
    public Returned Returned { get; init; } = Returned.Default;
    public Uniqueness Uniqueness { get; init; } = Uniqueness.None;
    public string Description { get; init; } = "";
    public IReadOnlyList<string>? CanonicalValues { get; init; }
    public IReadOnlyList<string>? ReferenceTypes { get; init; }
    public IReadOnlyList<ScimAttribute> SubAttributes { get; init; } = [];

    public Storage Storage { get; init; } = Storage.Column;

    /// <summary>
    /// For <see cref="Storage.Column"/>: a lambda selecting the column, over the resource entity
    /// (<see cref="WorkspaceMember"/>, <see cref="WorkspaceGroup"/>) or, for sub-attributes of a multi-valued
    /// attribute, over its row entity. Null when the attribute cannot be filtered or sorted on.
    /// </summary>
    public LambdaExpression? Column { get; init; }

    /// <summary>
    /// For a case-insensitive (<see cref="CaseExact"/> false) string column that has one: a lambda selecting a
    /// column holding <c>AuditStampInterceptor.Normalize(Column)</c>. Filters and sorting compare against it
    /// (with the literal normalised the same way), so <c>userName eq "X"</c> is an exact match on the unique index
    /// and case folding is the same .NET folding on every database provider.
    /// </summary>
    public LambdaExpression? NormalizedColumn { get; init; }

    /// <summary>For <see cref="Storage.ValueRows"/>: which kind of <see cref="MemberValue"/> rows hold the values.</summary>
    public MemberValueKind? RowKind { get; init; }

    /// <summary>The schema URN this attribute belongs to (set by the registry).</summary>
    public string SchemaId { get; init; } = "";

    public bool IsComplex => Type == AttributeType.Complex;

    /// <summary>Sub-attribute by name, case-insensitively (SCIM attribute names are case-insensitive).</summary>
    public ScimAttribute? SubAttribute(string name) =>
        SubAttributes.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The sub-attribute a filter such as <c>emails eq "x"</c> compares ("value"), if any.</summary>
    public ScimAttribute? ValueSubAttribute => SubAttribute("value");

    public static Expression<Func<TEntity, TValue>> Col<TEntity, TValue>(Expression<Func<TEntity, TValue>> selector) => selector;
}
