using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

using IdeaScale.Portal.Scim.Credentials.Tokens;
using IdeaScale.Portal.Workspaces;

using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IdeaScale.Portal.Data;

public sealed class SeedOptions
{
    /// <summary>Create the demo workspaces and accounts on first start with an empty database.</summary>
    public bool Demo { get; set; } = true;

    /// <summary>Password of the demo workspace admins; generated when unset (and written to <see cref="CredentialsFile"/>).</summary>
    public string? AdminPassword { get; set; }

    /// <summary>Password of the demo customer-success manager; generated when unset.</summary>
    public string? CsmPassword { get; set; }

    /// <summary>Password of the demo customer-success lead; generated when unset.</summary>
    public string? LeadPassword { get; set; }

    /// <summary>
    /// Seed a short sample provisioning history for ides (as if Entra had provisioned the demo directory), so the
    /// provisioning-log page has something to show before any IdP has called.
    /// </summary>
    public bool DemoProvisioningLog { get; set; } = true;

    /// <summary>
    /// Where the start that creates the demo writes the passwords and secrets it generated (relative to the content
    /// root), readable by the app's account only. Secrets never go to the log; the log names this file.
    /// </summary>
    public string CredentialsFile { get; set; } = "App_Data/demo-credentials.txt";

    /// <summary>Per demo workspace (by slug): a fixed SCIM token and public URL.</summary>
    public Dictionary<string, SeedWorkspaceOptions> Workspaces { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class SeedWorkspaceOptions
{
    public string? ScimToken { get; set; }
    public string? PublicUrl { get; set; }

    /// <summary>Client id of the workspace's OAuth client-credentials client (ides only); generated when unset.</summary>
    public string? OAuthClientId { get; set; }

    /// <summary>Its secret; generated when unset (and written to <see cref="SeedOptions.CredentialsFile"/>).</summary>
    public string? OAuthClientSecret { get; set; }
}

/// <summary>
/// Creates the demo: workspaces ides, acme and nosso, their admins, a customer-success manager and a customer-success
/// lead, SSO setups,
/// SCIM tokens, and a few provisioned users and groups in ides. Runs only on an empty database, so a second
/// start changes nothing.
/// </summary>
public sealed partial class DemoSeeder(
    PortalDbContext db,
    UserManager<PortalUser> users,
    RoleManager<IdentityRole> roles,
    ScimCredentials credentials,
    Scim.Credentials.OAuth.OAuthClientIssuer oauthClients,
    SsoSettings ssoSettings,
    IOptions<SeedOptions> options,
    TimeProvider time,
    IHostEnvironment environment,
    ILogger<DemoSeeder> logger)
{
    /// <summary>What this start generated ("account or client: secret" lines), written to the credentials file.</summary>
    private readonly List<string> generated = [];

    private sealed record DemoWorkspace(string Slug, string Name, SsoProtocol? Sso, bool ScimEnabled);

    private static readonly DemoWorkspace[] DemoWorkspaces =
    [
        new("ides", "Ideas Demo", SsoProtocol.Saml2, true),
        new("acme", "Acme Innovation", SsoProtocol.OpenIdConnect, true),
        new("nosso", "No SSO Community", null, false),
    ];

    public const string CsmEmail = "csm@ideascale.example";

    /// <summary>The demo customer-success lead (roles CustomerSuccess and CustomerSuccessLead): switches SCIM anywhere, assigns CSMs.</summary>
    public const string LeadEmail = "lead@ideascale.example";
    public static string AdminEmail(string slug) => $"admin@{slug}.example";

    public async Task SeedAsync(CancellationToken ct = default)
    {
        var seed = options.Value;
        foreach (var role in new[] { Roles.CustomerSuccess, Roles.CustomerSuccessLead })
        {
            if (!await roles.RoleExistsAsync(role))
            {
                await roles.CreateAsync(new IdentityRole(role));
            }
        }

        if (!seed.Demo || await db.Workspaces.AnyAsync(ct))
        {
            return;
        }

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;

        var csm = await CreateAccountAsync(CsmEmail, "Casey Success (CSM)", seed.CsmPassword);
        await users.AddToRoleAsync(csm, Roles.CustomerSuccess);
        var lead = await CreateAccountAsync(LeadEmail, "Lee Lead (CS lead)", seed.LeadPassword);
        await users.AddToRolesAsync(lead, [Roles.CustomerSuccess, Roles.CustomerSuccessLead]);

        foreach (var demo in DemoWorkspaces)
        {
            seed.Workspaces.TryGetValue(demo.Slug, out var ws);
            var workspace = new Workspace
            {
                Name = demo.Name,
                Slug = demo.Slug,
                PublicUrl = ws?.PublicUrl ?? $"http://{demo.Slug}.localhost:5080",
                CustomerSuccessManagerId = demo.Sso is null ? null : csm.Id,
                Scim = new ScimSettings { Enabled = demo.ScimEnabled, EnabledChangedAt = now, EnabledChangedBy = CsmEmail },
            };
            if (demo.Sso is { } protocol)
            {
                workspace.Sso = DemoSso(demo.Slug, protocol, now);
                if (protocol == SsoProtocol.OpenIdConnect)
                {
                    // An active OIDC setup has a client secret; the demo's is random (there is no real IdP behind it).
                    workspace.Sso.ProtectedClientSecret = ssoSettings.ProtectClientSecret(WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(24)));
                }
            }

            db.Workspaces.Add(workspace);
            var admin = await CreateAccountAsync(AdminEmail(demo.Slug), $"{demo.Name} Admin", seed.AdminPassword);
            db.WorkspaceAdmins.Add(new WorkspaceAdmin { WorkspaceId = workspace.Id, UserId = admin.Id, Created = now });
            await db.SaveChangesAsync(ct);

            await credentials.IssueAsync(workspace.Id, "seed", replacing: null, presetToken: string.IsNullOrWhiteSpace(ws?.ScimToken) ? null : ws.ScimToken, ct: ct);
            if (demo.Slug == "ides")
            {
                // A client-credentials client, so scripts can use OAuth against a fresh instance (like Entra would).
                var (client, secret) = await oauthClients.CreateClientAsync(
                    workspace.Id, demo.Slug, "seed", TimeSpan.FromDays(730), ws?.OAuthClientId, ws?.OAuthClientSecret, ct);
                if (string.IsNullOrWhiteSpace(ws?.OAuthClientSecret))
                {
                    generated.Add($"OAuth client {client.ClientId} of workspace {demo.Slug}: secret {secret}");
                }

                AddDemoDirectory(workspace.Id);
                await db.SaveChangesAsync(ct);
                if (seed.DemoProvisioningLog)
                {
                    AddDemoProvisioningLog(workspace.Id, now);
                }
                await db.SaveChangesAsync(ct);
            }
        }

        await tx.CommitAsync(ct);
        LogSeeded(logger, DemoWorkspaces.Length);
        await WriteCredentialsFileAsync(seed, ct);
    }

    /// <summary>
    /// The generated passwords and secrets, in a file only the app's account can read (created 0600 on Unix, replacing
    /// one left by an earlier demo), so a new user can sign in; the log says where, never what.
    /// </summary>
    private async Task WriteCredentialsFileAsync(SeedOptions seed, CancellationToken ct)
    {
        if (generated.Count == 0)
        {
            return;
        }

        var path = Path.GetFullPath(seed.CredentialsFile, environment.ContentRootPath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        var file = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var writer = new StreamWriter(path, System.Text.Encoding.UTF8, file))
        {
            await writer.WriteLineAsync("# Generated on the start that created the IdeaScale Portal demo. Delete this file once noted.");
            foreach (var line in generated)
            {
                await writer.WriteLineAsync(line.AsMemory(), ct);
            }
        }

        LogCredentialsFile(logger, generated.Count, path);
    }

    private async Task<PortalUser> CreateAccountAsync(string email, string displayName, string? configuredPassword)
    {
        var password = string.IsNullOrEmpty(configuredPassword) ? GeneratePassword() : configuredPassword;
        var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = displayName };
        var result = await users.CreateAsync(user, password);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"Could not create demo account {email}: {string.Join("; ", result.Errors.Select(e => e.Description))}");
        }

        if (string.IsNullOrEmpty(configuredPassword))
        {
            // Written to the credentials file (never the log), so a new user can sign in.
            generated.Add($"Demo account {email}: password {password}");
        }

        return user;
    }

    private static string GeneratePassword() => "Demo-" + WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(12)) + "-7a";

    private static SsoConfiguration DemoSso(string slug, SsoProtocol protocol, DateTime now) => protocol switch
    {
        SsoProtocol.Saml2 => new SsoConfiguration
        {
            Protocol = protocol,
            EntityIdOrIssuer = $"https://sts.windows.net/{Guid.NewGuid()}/",
            SignOnUrl = "https://login.microsoftonline.com/common/saml2",
            Certificate = SelfSignedPem($"CN={slug} demo IdP"),
            Active = true,
            Updated = now,
            UpdatedBy = "seed",
        },
        _ => new SsoConfiguration
        {
            Protocol = protocol,
            EntityIdOrIssuer = $"https://{slug}.okta.example/oauth2/default",
            ClientId = $"{slug}-portal",
            Active = true,
            Updated = now,
            UpdatedBy = "seed",
        },
    };

    private static string SelfSignedPem(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        using var cert = request.CreateSelfSigned(start, start.AddYears(3));
        return cert.ExportCertificatePem();
    }

    private void AddDemoDirectory(Guid workspaceId)
    {
        (string Given, string Family, string Dept)[] people =
        [
            ("Ada", "Lovelace", "Research"), ("Grace", "Hopper", "Engineering"), ("Alan", "Turing", "Research"),
            ("Katherine", "Johnson", "Engineering"), ("Tim", "Berners-Lee", "Product"), ("Barbara", "Liskov", "Engineering"),
        ];
        var members = people.Select((p, i) => new WorkspaceMember
        {
            WorkspaceId = workspaceId,
            UserName = $"{p.Given.ToLowerInvariant()}.{p.Family.ToLowerInvariant()}@ides.example",
            ExternalId = $"demo-{i + 1}",
            GivenName = p.Given,
            FamilyName = p.Family,
            DisplayName = $"{p.Given} {p.Family}",
            Department = p.Dept,
            Active = i != 4,
            Values = [new MemberValue { Kind = MemberValueKind.Email, Type = "work", Primary = true, Value = $"{p.Given.ToLowerInvariant()}.{p.Family.ToLowerInvariant()}@ides.example" }],
        }).ToList();
        db.Members.AddRange(members);

        var engineering = new WorkspaceGroup { WorkspaceId = workspaceId, DisplayName = "Engineering" };
        var research = new WorkspaceGroup { WorkspaceId = workspaceId, DisplayName = "Research" };
        db.Groups.AddRange(engineering, research);
        foreach (var m in members)
        {
            var group = m.Department == "Research" ? research : engineering;
            db.GroupMemberships.Add(new GroupMembership { GroupId = group.Id, MemberId = m.Id, MemberType = GroupMemberType.User, WorkspaceId = workspaceId, Created = time.GetUtcNow().UtcDateTime });
        }
    }

    /// <summary>A short provisioning history for ides, so the log page has something to show. Part of the one-time seed.</summary>
    private void AddDemoProvisioningLog(Guid workspaceId, DateTime now)
    {
        var members = db.Members.Local.Where(m => m.WorkspaceId == workspaceId).OrderBy(m => m.ExternalId).ToList();
        var minutes = 0;
        ProvisioningEvent Event(ProvisioningOperation op, string method, string path, string? type, string? id, int status, string? summary) => new()
        {
            WorkspaceId = workspaceId,
            OccurredAt = now.AddHours(-6).AddMinutes(minutes += 7),
            ActorKind = ActorKind.IdentityProvider,
            Actor = "Microsoft Entra ID",
            Operation = op,
            Outcome = status < 400 ? EventOutcome.Success : EventOutcome.Failure,
            Method = method,
            Path = path,
            ResourceType = type,
            ResourceId = id,
            StatusCode = status,
            DurationMs = 12 + (minutes % 23),
            ClientIp = "203.0.113.10",
            Summary = summary,
        };

        db.ProvisioningEvents.Add(Event(ProvisioningOperation.Discovery, "GET", "/scim/v2/ServiceProviderConfig", null, null, 200, null));
        var denied = Event(ProvisioningOperation.AuthenticationFailure, "GET", "/scim/v2/Users", null, null, 401, "Missing or invalid credentials.");
        denied.Actor = Scim.Tenancy.ScimClients.Unauthenticated; // a request without valid credentials names no client
        db.ProvisioningEvents.Add(denied);
        foreach (var m in members)
        {
            db.ProvisioningEvents.Add(Event(ProvisioningOperation.Create, "POST", "/scim/v2/Users", "User", m.Id.ToString(), 201, $"Created {m.UserName}."));
        }

        var deactivated = members.FirstOrDefault(m => !m.Active);
        if (deactivated is not null)
        {
            db.ProvisioningEvents.Add(Event(ProvisioningOperation.Deactivate, "PATCH", $"/scim/v2/Users/{deactivated.Id}", "User", deactivated.Id.ToString(), 200, $"Deactivated {deactivated.UserName} (active: false)."));
        }

        foreach (var g in db.Groups.Local.Where(g => g.WorkspaceId == workspaceId).OrderBy(g => g.DisplayName))
        {
            db.ProvisioningEvents.Add(Event(ProvisioningOperation.MembershipChange, "PATCH", $"/scim/v2/Groups/{g.Id}", "Group", g.Id.ToString(), 200, $"Added members to {g.DisplayName}."));
        }

        db.ProvisioningEvents.Add(Event(ProvisioningOperation.Create, "POST", "/scim/v2/Users", "User", null, 409, "userName already exists (uniqueness)."));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the demo data: {Count} workspaces and their accounts.")]
    private static partial void LogSeeded(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The demo's {Count} generated passwords and secrets are in {Path} (readable by this account only; set Seed:AdminPassword / Seed:CsmPassword / Seed:LeadPassword / Seed:Workspaces:ides:OAuthClientSecret to choose them). Delete the file once noted.")]
    private static partial void LogCredentialsFile(ILogger logger, int count, string path);
}
