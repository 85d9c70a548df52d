namespace IdeaScale.Portal.Data.Entities;

/// <summary>Marks SCIM resources: stamped by the audit interceptor, versioned for ETags.</summary>
public interface IScimResource
{
    Guid Id { get; }
    Guid WorkspaceId { get; }
    DateTime Created { get; set; }
    DateTime LastModified { get; set; }

    /// <summary>Incremented on every change; the weak ETag is W/"Version". Also the optimistic concurrency token.</summary>
    long Version { get; set; }
}

/// <summary>
/// A workspace user provisioned by an identity provider: the SCIM User resource, with the RFC 7643 core
/// attributes, the enterprise extension and the IdeaScale extension.
/// </summary>
public sealed class WorkspaceMember : IScimResource
{
    public Guid Id { get; set; } = Guid.NewGuid();
    public Guid WorkspaceId { get; set; }
    public Workspace? Workspace { get; set; }

    public required string UserName { get; set; }

    /// <summary>Upper-invariant <see cref="UserName"/>; unique per workspace, so uniqueness is case-insensitive on every provider.</summary>
    public string NormalizedUserName { get; set; } = "";

    public string? ExternalId { get; set; }
    public bool Active { get; set; } = true;

    // name (complex, single-valued)
    public string? NameFormatted { get; set; }
    public string? FamilyName { get; set; }
    public string? GivenName { get; set; }
    public string? MiddleName { get; set; }
    public string? HonorificPrefix { get; set; }
    public string? HonorificSuffix { get; set; }

    public string? DisplayName { get; set; }
    public string? NickName { get; set; }
    public string? ProfileUrl { get; set; }
    public string? Title { get; set; }
    public string? UserType { get; set; }
    public string? PreferredLanguage { get; set; }
    public string? Locale { get; set; }
    public string? Timezone { get; set; }

    /// <summary>ASP.NET Core Identity password hash of a SCIM-supplied password. The password itself is never stored.</summary>
    public string? PasswordHash { get; set; }

    // urn:ietf:params:scim:schemas:extension:enterprise:2.0:User
    public string? EmployeeNumber { get; set; }
    public string? CostCenter { get; set; }
    public string? Organization { get; set; }
    public string? Division { get; set; }
    public string? Department { get; set; }
    /// <summary>
    /// The enterprise manager reference exactly as the IdP sent it (manager.value): usually the manager's id, but
    /// Okta often sends a username or employee id, and Entra may send the id of a user deleted here. Null: no manager.
    /// </summary>
    public string? ManagerValue { get; set; }

    /// <summary>
    /// The user <see cref="ManagerValue"/> names, when it is the id of another user of the workspace (linked on
    /// write); null when the reference is unresolved. Deleting that user unlinks it and keeps the reference.
    /// </summary>
    public Guid? ManagerId { get; set; }
    public WorkspaceMember? Manager { get; set; }

    // urn:ideascale:params:scim:schemas:extension:2.0:User
    public string? BusinessUnit { get; set; }
    public string? Location { get; set; }
    public string? JobFunction { get; set; }

    /// <summary>emails, phoneNumbers, ims, photos, entitlements, roles and x509Certificates, one row per value.</summary>
    public List<MemberValue> Values { get; set; } = [];
    public List<MemberAddress> Addresses { get; set; } = [];

    public DateTime Created { get; set; }
    public DateTime LastModified { get; set; }
    public long Version { get; set; }
}

/// <summary>The multi-valued attributes that share the value/display/type/primary shape.</summary>
public enum MemberValueKind
{
    Email = 1,
    PhoneNumber = 2,
    Im = 3,
    Photo = 4,
    Entitlement = 5,
    Role = 6,
    X509Certificate = 7,
}

/// <summary>One value of a multi-valued attribute of a member (RFC 7643 §2.4 "multi-valued attributes").</summary>
public sealed class MemberValue
{
    public long Id { get; set; }
    public Guid MemberId { get; set; }
    public MemberValueKind Kind { get; set; }

    /// <summary>Position within the attribute, so values come back in the order they were sent.</summary>
    public int Ordinal { get; set; }

    public string? Value { get; set; }
    public string? Display { get; set; }
    public string? Type { get; set; }
    public bool Primary { get; set; }
}

/// <summary>One value of a member's addresses attribute.</summary>
public sealed class MemberAddress
{
    public long Id { get; set; }
    public Guid MemberId { get; set; }
    public int Ordinal { get; set; }

    public string? Formatted { get; set; }
    public string? StreetAddress { get; set; }
    public string? Locality { get; set; }
    public string? Region { get; set; }
    public string? PostalCode { get; set; }
    public string? Country { get; set; }
    public string? Type { get; set; }
    public bool Primary { get; set; }
}
