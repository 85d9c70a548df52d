global using IdeaScale.Portal.Data;
global using IdeaScale.Portal.Data.Entities;
global using IdeaScale.Portal.Security;
