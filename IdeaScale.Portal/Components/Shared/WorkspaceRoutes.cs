// Razor components in Shared/ get the .Shared namespace; plain C# helpers stay in .Components (CA1716: "Shared" is a VB keyword).
namespace IdeaScale.Portal.Components;

/// <summary>The portal's workspace routes, one place. They mirror the product menu (Manage Workspace » …).</summary>
public static class WorkspaceRoutes
{
    public static string Manage(string slug) => $"/workspaces/{Uri.EscapeDataString(slug)}/manage";
    public static string Members(string slug) => Manage(slug) + "/members";
    public static string Groups(string slug) => Manage(slug) + "/groups";
    public static string ProvisioningLog(string slug) => Manage(slug) + "/provisioning-log";

    /// <summary>The Members page with one member's detail panel open.</summary>
    public static string Member(string slug, Guid memberId) => Members(slug) + "?member=" + memberId.ToString("D");

    /// <summary>The provisioning log showing only the rows about one member or group.</summary>
    public static string ProvisioningLogOf(string slug, string resourceId) => ProvisioningLog(slug) + "?resource=" + Uri.EscapeDataString(resourceId);
    public static string Sso(string slug) => Manage(slug) + "/security/authentication/sso";
    public static string Scim(string slug) => Sso(slug) + "/scim";

    public const string CustomerSuccessWorkspaces = "/customer-success/workspaces";

    /// <summary>The {slug} of a /workspaces/{slug}/… path, or null.</summary>
    public static string? SlugOf(string relativePath)
    {
        var segments = relativePath.Split('?', '#')[0].Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length >= 2 && segments[0].Equals("workspaces", StringComparison.OrdinalIgnoreCase)
            ? Uri.UnescapeDataString(segments[1])
            : null;
    }

    /// <summary>The same page in another workspace: /workspaces/a/manage/x → /workspaces/b/manage/x.</summary>
    public static string SwitchTo(string relativePath, string slug)
    {
        var path = relativePath.Split('?', '#')[0];
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length >= 2 && segments[0].Equals("workspaces", StringComparison.OrdinalIgnoreCase))
        {
            segments[1] = Uri.EscapeDataString(slug);
            return "/" + string.Join('/', segments);
        }

        return Scim(slug);
    }
}
