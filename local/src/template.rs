//! The parts of `template.yaml` the local stack needs: routes, event
//! sources, resources to create, and the functions' environment.

use anyhow::{anyhow, bail, Context};
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
    /// The function package name (the last part of `CodeUri`), e.g. `auth-signup`.
    pub function: String,
}

#[derive(Clone, Debug)]
pub struct Function {
    pub logical_id: String,
    pub package: String,
    pub sqs_sources: Vec<SqsSource>,
    pub schedules: Vec<String>,
    /// Variables this function has beyond the Globals.
    pub environment: BTreeMap<String, EnvValue>,
}

/// An `AWS::SecretsManager::Secret` of the template.
#[derive(Clone, Debug)]
pub struct Secret {
    pub logical_id: String,
    /// `GenerateSecretString`'s template and the key its password goes under.
    pub generate: Option<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct SqsSource {
    pub queue: String,
    pub batch_size: i32,
    pub report_batch_item_failures: bool,
}

#[derive(Clone, Debug)]
pub struct Queue {
    pub logical_id: String,
    pub visibility_timeout: Option<i64>,
    pub redrive: Option<(String, i64)>,
}

#[derive(Clone, Debug)]
pub struct Subscription {
    pub topic: String,
    pub queue: String,
    pub raw: bool,
}

#[derive(Clone, Debug)]
pub struct Table {
    pub logical_id: String,
    pub attributes: Vec<(String, String)>,
    pub keys: Vec<(String, String)>,
    pub ttl_attribute: Option<String>,
}

/// A value of the functions' environment as the template states it.
#[derive(Clone, Debug, PartialEq)]
pub enum EnvValue {
    Literal(String),
    /// `!Ref` of a resource or a parameter.
    Ref(String),
    /// `!Sub` template; `${Name}` placeholders.
    Sub(String),
}

#[derive(Clone, Debug, Default)]
pub struct Template {
    pub routes: Vec<Route>,
    pub functions: Vec<Function>,
    pub queues: Vec<Queue>,
    pub topics: Vec<String>,
    pub subscriptions: Vec<Subscription>,
    pub tables: Vec<Table>,
    pub secrets: Vec<Secret>,
    pub parameters: BTreeMap<String, String>,
    /// The Globals' variables and, after them, every function's own: the
    /// local gateway is every function in one process.
    pub environment: BTreeMap<String, EnvValue>,
}

fn tagged_target(value: &Value, tag: &str) -> Option<String> {
    match value {
        Value::Tagged(t) if t.tag == tag => match &t.value {
            Value::String(s) => Some(s.clone()),
            _ => None,
        },
        Value::Mapping(m) if m.len() == 1 => {
            let long = if tag == "!Ref" { "Ref".to_string() } else { format!("Fn::{}", &tag[1..]) };
            m.get(long.as_str()).and_then(Value::as_str).map(str::to_owned)
        }
        _ => None,
    }
}

/// `!GetAtt Queue.Arn` (short or long form) → `Queue`.
fn get_att_resource(value: &Value) -> Option<String> {
    let raw = match value {
        Value::Tagged(t) if t.tag == "!GetAtt" => t.value.as_str().map(str::to_owned),
        Value::Mapping(m) => m.get("Fn::GetAtt").and_then(|v| match v {
            Value::Sequence(s) => s.first().and_then(Value::as_str).map(str::to_owned),
            Value::String(s) => Some(s.clone()),
            _ => None,
        }),
        _ => None,
    }?;
    Some(raw.split('.').next().unwrap_or_default().to_string())
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn parse_variables(variables: Option<&serde_yaml::Mapping>) -> anyhow::Result<BTreeMap<String, EnvValue>> {
    let mut environment = BTreeMap::new();
    for (name, value) in variables.into_iter().flatten() {
        let name = name.as_str().ok_or_else(|| anyhow!("environment variable name is not a string"))?;
        let parsed = if let Some(target) = tagged_target(value, "!Ref") {
            EnvValue::Ref(target)
        } else if let Some(sub) = tagged_target(value, "!Sub") {
            EnvValue::Sub(sub)
        } else if let Some(literal) = scalar(value) {
            EnvValue::Literal(literal)
        } else {
            bail!("environment variable {name}: unsupported value {value:?}");
        };
        environment.insert(name.to_string(), parsed);
    }
    Ok(environment)
}

impl Template {
    pub fn load(path: impl AsRef<Path>) -> anyhow::Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let doc: Value = serde_yaml::from_str(text)?;
        let mut template = Template::default();

        if let Some(params) = doc.get("Parameters").and_then(Value::as_mapping) {
            for (name, spec) in params {
                if let (Some(name), Some(default)) = (name.as_str(), spec.get("Default").and_then(scalar)) {
                    template.parameters.insert(name.to_string(), default);
                }
            }
        }

        let variables = doc
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get("Environment"))
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping);
        template.environment = parse_variables(variables)?;

        let resources = doc.get("Resources").and_then(Value::as_mapping).ok_or_else(|| anyhow!("no Resources"))?;
        for (logical_id, resource) in resources {
            let logical_id = logical_id.as_str().unwrap_or_default().to_string();
            let kind = resource.get("Type").and_then(Value::as_str).unwrap_or_default();
            let props = resource.get("Properties").cloned().unwrap_or(Value::Null);
            match kind {
                "AWS::Serverless::Function" => template.add_function(&logical_id, &props)?,
                "AWS::SQS::Queue" => {
                    let redrive = props.get("RedrivePolicy").map(|policy| -> anyhow::Result<_> {
                        let target = policy
                            .get("deadLetterTargetArn")
                            .and_then(get_att_resource)
                            .ok_or_else(|| anyhow!("{logical_id}: deadLetterTargetArn must be !GetAtt Queue.Arn"))?;
                        let max = policy.get("maxReceiveCount").and_then(Value::as_i64).unwrap_or(5);
                        Ok((target, max))
                    });
                    template.queues.push(Queue {
                        logical_id,
                        visibility_timeout: props.get("VisibilityTimeout").and_then(Value::as_i64),
                        redrive: redrive.transpose()?,
                    });
                }
                "AWS::SNS::Topic" => template.topics.push(logical_id),
                "AWS::SecretsManager::Secret" => {
                    let generate = props.get("GenerateSecretString").map(|g| {
                        let text = g.get("SecretStringTemplate").and_then(Value::as_str).unwrap_or("{}").to_string();
                        let key = g.get("GenerateStringKey").and_then(Value::as_str).unwrap_or("password").to_string();
                        (text, key)
                    });
                    template.secrets.push(Secret { logical_id, generate });
                }
                "AWS::SNS::Subscription" => {
                    let topic = props.get("TopicArn").and_then(|v| tagged_target(v, "!Ref"));
                    let queue = props.get("Endpoint").and_then(get_att_resource);
                    let (Some(topic), Some(queue)) = (topic, queue) else {
                        bail!("{logical_id}: subscriptions need TopicArn: !Ref Topic and Endpoint: !GetAtt Queue.Arn");
                    };
                    let raw = props.get("RawMessageDelivery").and_then(Value::as_bool).unwrap_or(false);
                    template.subscriptions.push(Subscription { topic, queue, raw });
                }
                "AWS::DynamoDB::Table" => {
                    let pairs = |list: &str, a: &str, b: &str| -> Vec<(String, String)> {
                        props
                            .get(list)
                            .and_then(Value::as_sequence)
                            .into_iter()
                            .flatten()
                            .filter_map(|item| {
                                Some((item.get(a)?.as_str()?.to_string(), item.get(b)?.as_str()?.to_string()))
                            })
                            .collect()
                    };
                    let ttl = props
                        .get("TimeToLiveSpecification")
                        .filter(|spec| spec.get("Enabled").and_then(Value::as_bool).unwrap_or(false))
                        .and_then(|spec| spec.get("AttributeName"))
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    template.tables.push(Table {
                        attributes: pairs("AttributeDefinitions", "AttributeName", "AttributeType"),
                        keys: pairs("KeySchema", "AttributeName", "KeyType"),
                        logical_id,
                        ttl_attribute: ttl,
                    });
                }
                _ => {}
            }
        }
        for function in &template.functions {
            for (name, value) in &function.environment {
                template.environment.insert(name.clone(), value.clone());
            }
        }
        Ok(template)
    }

    fn add_function(&mut self, logical_id: &str, props: &Value) -> anyhow::Result<()> {
        let code_uri = props
            .get("CodeUri")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("{logical_id}: CodeUri must be functions/<package>"))?;
        let package = code_uri.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string();
        let mut function = Function {
            logical_id: logical_id.into(),
            package: package.clone(),
            sqs_sources: vec![],
            schedules: vec![],
            environment: parse_variables(
                props.get("Environment").and_then(|e| e.get("Variables")).and_then(Value::as_mapping),
            )?,
        };
        for (_, event) in props.get("Events").and_then(Value::as_mapping).into_iter().flatten() {
            let kind = event.get("Type").and_then(Value::as_str).unwrap_or_default();
            let p = event.get("Properties").cloned().unwrap_or(Value::Null);
            match kind {
                "HttpApi" => {
                    let method = p.get("Method").and_then(Value::as_str).unwrap_or("ANY").to_ascii_uppercase();
                    let path = p
                        .get("Path")
                        .and_then(Value::as_str)
                        .ok_or_else(|| anyhow!("{logical_id}: HttpApi event without Path"))?;
                    self.routes.push(Route { method, path: path.to_string(), function: package.clone() });
                }
                "SQS" => {
                    let queue = p
                        .get("Queue")
                        .and_then(get_att_resource)
                        .ok_or_else(|| anyhow!("{logical_id}: SQS Queue must be !GetAtt Queue.Arn"))?;
                    let report = p
                        .get("FunctionResponseTypes")
                        .and_then(Value::as_sequence)
                        .is_some_and(|types| types.iter().any(|t| t.as_str() == Some("ReportBatchItemFailures")));
                    let batch_size = p.get("BatchSize").and_then(Value::as_i64).unwrap_or(10) as i32;
                    function.sqs_sources.push(SqsSource { queue, batch_size, report_batch_item_failures: report });
                }
                "Schedule" | "ScheduleV2" => {
                    let expr = p.get("Schedule").or_else(|| p.get("ScheduleExpression")).and_then(Value::as_str);
                    function
                        .schedules
                        .push(expr.ok_or_else(|| anyhow!("{logical_id}: schedule without expression"))?.to_string());
                }
                other => {
                    bail!("{logical_id}: event type {other} is not supported by the local stack")
                }
            }
        }
        self.functions.push(function);
        Ok(())
    }
}

/// `rate(1 minute)`, `rate(5 minutes)`, `rate(1 hour)` → a period.
pub fn schedule_period(expression: &str) -> anyhow::Result<std::time::Duration> {
    let inner = expression
        .strip_prefix("rate(")
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| anyhow!("only rate(...) schedules run locally, got {expression}"))?;
    let (n, unit) = inner.split_once(' ').ok_or_else(|| anyhow!("bad rate {expression}"))?;
    let n: u64 = n.parse()?;
    let secs = match unit.trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3600,
        "day" => 86400,
        other => bail!("unknown rate unit {other}"),
    };
    Ok(std::time::Duration::from_secs(n * secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_repository_template() {
        let t = Template::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
        assert!(t
            .routes
            .iter()
            .any(|r| r.method == "POST" && r.path == "/api/auth/signup" && r.function == "auth-signup"));
        assert_eq!(t.environment.get("TICKETING_QUEUE_URL"), Some(&EnvValue::Ref("TicketingQueue".into())));
        let ticketing = t.queues.iter().find(|q| q.logical_id == "TicketingQueue").unwrap();
        assert_eq!(ticketing.redrive, Some(("TicketingDeadLetterQueue".into(), 12)));
        assert!(t.subscriptions.iter().any(|s| s.topic == "NotificationsTopic" && s.raw));
        assert!(t.tables.iter().all(|table| table.ttl_attribute.as_deref() == Some("expiresAt")));
        assert_eq!(t.parameters.get("Architecture").map(String::as_str), Some("arm64"));
    }

    #[test]
    fn schedule_periods() {
        assert_eq!(schedule_period("rate(1 minute)").unwrap().as_secs(), 60);
        assert_eq!(schedule_period("rate(5 minutes)").unwrap().as_secs(), 300);
        assert!(schedule_period("cron(0 * * * ? *)").is_err());
    }
}
