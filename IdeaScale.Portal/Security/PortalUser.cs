using Microsoft.AspNetCore.Identity;

namespace IdeaScale.Portal.Security;

/// <summary>A person who signs in to the portal: a workspace admin or customer-success staff.</summary>
public sealed class PortalUser : IdentityUser
{
    public string DisplayName { get; set; } = "";
}
