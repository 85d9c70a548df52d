using System.Linq.Expressions;

using static IdeaScale.Portal.Scim.Protocol.ScimConstants;

namespace IdeaScale.Portal.Scim.Schema;

/// <summary>
/// The attribute registry: every SCIM attribute this server serves, with its RFC 7643 characteristics and its
/// storage. Adding an attribute means adding one row here (and, for a new column, one entity property).
/// </summary>
public static class ScimRegistry
{
    private static readonly string[] ValueTypesEmail = ["work", "home", "other"];
    private static readonly string[] ValueTypesPhone = ["work", "home", "mobile", "fax", "pager", "other"];
    private static readonly string[] ValueTypesIm = ["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"];
    private static readonly string[] ValueTypesPhoto = ["photo", "thumbnail"];

    public static ScimSchema User { get; }
    public static ScimSchema EnterpriseUser { get; }
    public static ScimSchema IdeaScaleUser { get; }
    public static ScimSchema Group { get; }

    public static ScimResourceType UserType { get; }
    public static ScimResourceType GroupType { get; }

    public static IReadOnlyList<ScimResourceType> ResourceTypes { get; }
    public static IReadOnlyList<ScimSchema> Schemas { get; }

    static ScimRegistry()
    {
        User = Build(UserSchema, "User", "User Account",
        [
            Str("userName", M(m => m.UserName), "Unique identifier for the User, used to sign in. Unique per workspace, compared case-insensitively.") with
            {
                NormalizedColumn = M(m => m.NormalizedUserName),
                Required = true,
                Uniqueness = Uniqueness.Server,
            },
            new ScimAttribute
            {
                Name = "name",
                Type = AttributeType.Complex,
                Storage = Storage.Inline,
                Description = "The components of the user's real name.",
                SubAttributes =
                [
                    Str("formatted", M(m => m.NameFormatted), "The full name, formatted for display."),
                    Str("familyName", M(m => m.FamilyName), "The family name (last name)."),
                    Str("givenName", M(m => m.GivenName), "The given name (first name)."),
                    Str("middleName", M(m => m.MiddleName), "The middle name(s)."),
                    Str("honorificPrefix", M(m => m.HonorificPrefix), "Honorific prefix(es), e.g. 'Ms.'."),
                    Str("honorificSuffix", M(m => m.HonorificSuffix), "Honorific suffix(es), e.g. 'III'."),
                ],
            },
            Str("displayName", M(m => m.DisplayName), "The name of the User, suitable for display."),
            Str("nickName", M(m => m.NickName), "The casual way to address the user."),
            Str("profileUrl", M(m => m.ProfileUrl), "A URI of the user's online profile.") with { Type = AttributeType.Reference, ReferenceTypes = ["external"] },
            Str("title", M(m => m.Title), "The user's title, such as 'Vice President'."),
            Str("userType", M(m => m.UserType), "The relationship between the organization and the user, e.g. 'Employee'."),
            Str("preferredLanguage", M(m => m.PreferredLanguage), "Preferred written or spoken language (RFC 7231 Accept-Language), e.g. 'en-US'."),
            Str("locale", M(m => m.Locale), "Default location for localizing currency, dates and numbers, e.g. 'en-US'."),
            Str("timezone", M(m => m.Timezone), "Time zone in IANA format, e.g. 'America/Los_Angeles'."),
            new ScimAttribute { Name = "active", Type = AttributeType.Boolean, Column = M(m => m.Active), Description = "Whether the user may sign in. false deactivates the user; it stays readable." },
            new ScimAttribute
            {
                Name = "password",
                Storage = Storage.Password,
                Mutability = Mutability.WriteOnly,
                Returned = Returned.Never,
                Description = "The user's cleartext password on write. Stored only as a hash; never returned.",
            },
            ValueRows("emails", MemberValueKind.Email, "Email addresses for the user.", ValueTypesEmail),
            ValueRows("phoneNumbers", MemberValueKind.PhoneNumber, "Phone numbers for the user.", ValueTypesPhone),
            ValueRows("ims", MemberValueKind.Im, "Instant messaging addresses for the user.", ValueTypesIm),
            ValueRows("photos", MemberValueKind.Photo, "URLs of photos of the user.", ValueTypesPhoto, AttributeType.Reference),
            new ScimAttribute
            {
                Name = "addresses",
                Type = AttributeType.Complex,
                MultiValued = true,
                Storage = Storage.AddressRows,
                Description = "A physical mailing address for this user.",
                SubAttributes =
                [
                    Str("formatted", A(a => a.Formatted), "The full mailing address, formatted for display."),
                    Str("streetAddress", A(a => a.StreetAddress), "The full street address component."),
                    Str("locality", A(a => a.Locality), "The city or locality component."),
                    Str("region", A(a => a.Region), "The state or region component."),
                    Str("postalCode", A(a => a.PostalCode), "The zip code or postal code component."),
                    Str("country", A(a => a.Country), "The country name component (ISO 3166-1 alpha-2)."),
                    Str("type", A(a => a.Type), "A label indicating the attribute's function.") with { CanonicalValues = ValueTypesEmail },
                    new ScimAttribute { Name = "primary", Type = AttributeType.Boolean, Column = A(a => a.Primary), Description = "Whether this is the primary address." },
                ],
            },
            new ScimAttribute
            {
                Name = "groups",
                Type = AttributeType.Complex,
                MultiValued = true,
                Mutability = Mutability.ReadOnly,
                Storage = Storage.GroupsOfUser,
                Description = "The groups the user belongs to, directly. Changed through the Group resource.",
                SubAttributes =
                [
                    new ScimAttribute { Name = "value", Column = GM(gm => gm.GroupId), CaseExact = true, Mutability = Mutability.ReadOnly, Description = "The id of the group." },
                    new ScimAttribute { Name = "$ref", Type = AttributeType.Reference, ReferenceTypes = ["Group"], Mutability = Mutability.ReadOnly, Description = "The URI of the group." },
                    new ScimAttribute { Name = "display", Mutability = Mutability.ReadOnly, Description = "The group's displayName." },
                    new ScimAttribute { Name = "type", Mutability = Mutability.ReadOnly, CanonicalValues = ["direct", "indirect"], Description = "direct or indirect membership." },
                ],
            },
            ValueRows("entitlements", MemberValueKind.Entitlement, "Entitlements of the user.", null),
            ValueRows("roles", MemberValueKind.Role, "Roles of the user.", null),
            ValueRows("x509Certificates", MemberValueKind.X509Certificate, "DER-encoded X.509 certificates of the user, base64.", null, AttributeType.Binary),
        ]);

        EnterpriseUser = Build(EnterpriseUserSchema, "EnterpriseUser", "Enterprise User",
        [
            Str("employeeNumber", M(m => m.EmployeeNumber), "Numeric or alphanumeric identifier assigned to a person by the organization."),
            Str("costCenter", M(m => m.CostCenter), "Identifies the name of a cost center."),
            Str("organization", M(m => m.Organization), "Identifies the name of an organization."),
            Str("division", M(m => m.Division), "Identifies the name of a division."),
            Str("department", M(m => m.Department), "Identifies the name of a department."),
            new ScimAttribute
            {
                Name = "manager",
                Type = AttributeType.Complex,
                Storage = Storage.Manager,
                Column = M(m => m.ManagerValue),
                Description = "The user's manager. The reference is kept as sent; it is linked to the user it names when it is the id of "
                    + "another user of the workspace (then $ref and displayName are returned), and kept unresolved otherwise (a username, "
                    + "an employee id, a deleted user's id).",
                SubAttributes =
                [
                    new ScimAttribute
                    {
                        Name = "value", Column = M(m => m.ManagerValue),
                        Description = "The manager reference as sent: normally the id of the manager's User resource. Compared case-insensitively.",
                    },
                    new ScimAttribute { Name = "$ref", Type = AttributeType.Reference, ReferenceTypes = ["User"], Description = "The URI of the manager's User resource, when the reference is linked." },
                    new ScimAttribute { Name = "displayName", Mutability = Mutability.ReadOnly, Description = "The manager's displayName, when the reference is linked." },
                ],
            },
        ]);

        IdeaScaleUser = Build(IdeaScaleUserSchema, "IdeaScaleUser", "IdeaScale workspace profile fields",
        [
            Str("businessUnit", M(m => m.BusinessUnit), "Business unit shown on the member's IdeaScale profile."),
            Str("location", M(m => m.Location), "Office or site shown on the member's IdeaScale profile."),
            Str("jobFunction", M(m => m.JobFunction), "Job function used to route ideas and challenges."),
        ]);

        Group = Build(GroupSchema, "Group", "Group",
        [
            new ScimAttribute
            {
                Name = "displayName",
                Column = G(g => g.DisplayName),
                NormalizedColumn = G(g => g.NormalizedDisplayName),
                Required = true,
                Uniqueness = Uniqueness.Server,
                Description = "A human-readable name for the Group. Unique per workspace, compared case-insensitively.",
            },
            new ScimAttribute
            {
                Name = "members",
                Type = AttributeType.Complex,
                MultiValued = true,
                Storage = Storage.MembersOfGroup,
                Description = "The members of the group: users or groups of the same workspace.",
                SubAttributes =
                [
                    new ScimAttribute { Name = "value", Column = GM(gm => gm.MemberId), Mutability = Mutability.Immutable, CaseExact = true, Description = "The id of the member." },
                    new ScimAttribute { Name = "$ref", Type = AttributeType.Reference, ReferenceTypes = ["User", "Group"], Mutability = Mutability.Immutable, Description = "The URI of the member." },
                    new ScimAttribute { Name = "display", Mutability = Mutability.ReadOnly, Description = "The member's display name." },
                    new ScimAttribute { Name = "type", Mutability = Mutability.Immutable, CanonicalValues = ["User", "Group"], Description = "User or Group." },
                ],
            },
        ]);

        UserType = new ScimResourceType("User", "/Users", "User Account", typeof(WorkspaceMember), User, [EnterpriseUser, IdeaScaleUser],
            Common<WorkspaceMember>(UserSchema, m => m.Id, m => m.ExternalId, m => m.Created, m => m.LastModified));
        GroupType = new ScimResourceType("Group", "/Groups", "Group", typeof(WorkspaceGroup), Group, [],
            Common<WorkspaceGroup>(GroupSchema, g => g.Id, g => g.ExternalId, g => g.Created, g => g.LastModified));
        ResourceTypes = [UserType, GroupType];
        Schemas = [User, EnterpriseUser, IdeaScaleUser, Group];
    }

    /// <summary>The resource type served at an endpoint ("Users" or "Groups"), case-insensitively.</summary>
    public static ScimResourceType? ByName(string name) =>
        ResourceTypes.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));

    private static Expression<Func<WorkspaceMember, T>> M<T>(Expression<Func<WorkspaceMember, T>> e) => e;
    private static Expression<Func<WorkspaceGroup, T>> G<T>(Expression<Func<WorkspaceGroup, T>> e) => e;
    private static Expression<Func<MemberAddress, T>> A<T>(Expression<Func<MemberAddress, T>> e) => e;
    private static Expression<Func<MemberValue, T>> V<T>(Expression<Func<MemberValue, T>> e) => e;
    private static Expression<Func<GroupMembership, T>> GM<T>(Expression<Func<GroupMembership, T>> e) => e;

    private static ScimAttribute Str(string name, LambdaExpression column, string description) =>
        new() { Name = name, Column = column, Description = description };

    private static ScimAttribute ValueRows(string name, MemberValueKind kind, string description, string[]? types, AttributeType valueType = AttributeType.String) => new()
    {
        Name = name,
        Type = AttributeType.Complex,
        MultiValued = true,
        Storage = Storage.ValueRows,
        RowKind = kind,
        Description = description,
        SubAttributes =
        [
            new ScimAttribute { Name = "value", Type = valueType, Column = V(v => v.Value), Description = $"The value of one of the user's {name}." },
            Str("display", V(v => v.Display), "A human-readable name, primarily used for display purposes."),
            Str("type", V(v => v.Type), "A label indicating the attribute's function.") with { CanonicalValues = types },
            new ScimAttribute { Name = "primary", Type = AttributeType.Boolean, Column = V(v => v.Primary), Description = "Whether this is the primary value. At most one value is primary." },
        ],
    };

    /// <summary>RFC 7643 §3.1 common attributes: id, externalId and meta.</summary>
    private static IReadOnlyList<ScimAttribute> Common<T>(
        string schemaId,
        Expression<Func<T, Guid>> id,
        Expression<Func<T, string?>> externalId,
        Expression<Func<T, DateTime>> created,
        Expression<Func<T, DateTime>> lastModified) =>
    [
        new ScimAttribute
        {
            Name = "id", Column = id, CaseExact = true, Mutability = Mutability.ReadOnly, Returned = Returned.Always,
            Uniqueness = Uniqueness.Server, SchemaId = schemaId, Description = "Unique identifier of the resource, assigned by the service provider.",
        },
        new ScimAttribute
        {
            Name = "externalId", Column = externalId, CaseExact = true, SchemaId = schemaId,
            Description = "Identifier of the resource as defined by the provisioning client.",
        },
        new ScimAttribute
        {
            Name = "meta", Type = AttributeType.Complex, Mutability = Mutability.ReadOnly, Storage = Storage.Meta, SchemaId = schemaId,
            Description = "Resource metadata.",
            SubAttributes =
            [
                new ScimAttribute { Name = "resourceType", Mutability = Mutability.ReadOnly, CaseExact = true, SchemaId = schemaId, Description = "The name of the resource type." },
                new ScimAttribute { Name = "created", Type = AttributeType.DateTime, Column = created, Mutability = Mutability.ReadOnly, SchemaId = schemaId, Description = "When the resource was added." },
                new ScimAttribute { Name = "lastModified", Type = AttributeType.DateTime, Column = lastModified, Mutability = Mutability.ReadOnly, SchemaId = schemaId, Description = "When the resource was last changed." },
                new ScimAttribute { Name = "location", Type = AttributeType.Reference, Mutability = Mutability.ReadOnly, CaseExact = true, SchemaId = schemaId, Description = "The URI of the resource." },
                new ScimAttribute { Name = "version", Mutability = Mutability.ReadOnly, CaseExact = true, SchemaId = schemaId, Description = "The weak entity tag of the resource." },
            ],
        },
    ];

    /// <summary>Stamps each attribute (and sub-attribute) with its schema URN.</summary>
    private static ScimSchema Build(string id, string name, string description, IReadOnlyList<ScimAttribute> attributes) =>
        new(id, name, description, attributes.Select(a => a with
        {
            SchemaId = id,
            SubAttributes = a.SubAttributes.Select(s => s with { SchemaId = id }).ToList(),
        }).ToList());
}
